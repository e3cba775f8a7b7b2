/*
 * An address for a vnetif from DHCP (lwIP's client, against QEMU's user
 * network), with a static fallback after a bounded wait.  Once bound,
 * lwIP renews the lease by itself from its timers; vnetif installs DHCP's
 * shared filter whenever the client sends and removes it once bound.
 */
#ifndef LWIP_PORT_VNET_DHCP_H
#define LWIP_PORT_VNET_DHCP_H

#include <stdbool.h>
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"

#define VNET_DHCP_WAIT_MS 3000   /* a default bound on the wait */

/* The netif's configuration, for a message or a table. */
struct vnet_ifconfig {
    ip4_addr_t ip, mask, gw;
    uint32_t dns;               /* network order, 0: none */
    bool dhcp;                  /* from DHCP (else the fallback) */
};

/* Start DHCP on nif (added with address 0.0.0.0 and up) and run it (the
 * vnetif's poll, lwIP's timers, the wait) until it binds or wait_ms have
 * passed; then stop it and set the fallback ip/mask/gw.  Fills *cfg.
 * Returns true if DHCP gave the address. */
bool vnet_dhcp_acquire(struct netif *nif, uint32_t wait_ms, const ip4_addr_t *ip, const ip4_addr_t *mask,
                       const ip4_addr_t *gw, struct vnet_ifconfig *cfg);
/* The netif's configuration now (the lease may have moved it). */
void vnet_ifconfig_get(struct netif *nif, struct vnet_ifconfig *cfg);
/* "10.0.2.15/24 via 10.0.2.2, DNS 10.0.2.3 (DHCP)" into buf (n bytes). */
void vnet_ifconfig_format(const struct vnet_ifconfig *cfg, char *buf, size_t n);

#endif
