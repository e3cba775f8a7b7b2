/*
 * One ICMP echo round trip from a vnetif (lwIP's raw API): a stack's check
 * that pings reach it, e.g. the gateway's answer to ours.
 */
#ifndef LWIP_PORT_VNET_PING_H
#define LWIP_PORT_VNET_PING_H

#include "lwip/ip4_addr.h"
#include "lwip/netif.h"

/* Send an echo request to dst and run the interface (poll, timers, wait)
 * until its reply comes or wait_ms pass.  Returns the round trip in
 * microseconds, -E_PERM (no ICMP claim of ours: another stack answers
 * pings, and its echo replies are not ours to receive), -E_TIMEOUT or
 * -E_NOMEM. */
long vnet_ping(struct netif *nif, const ip4_addr_t *dst, uint32_t wait_ms);

#endif
