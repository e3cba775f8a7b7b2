/*
 * lwIP's hooks for Veneer (LWIP_HOOK_FILENAME in lwipopts.h; lwIP includes
 * this after its own headers): DHCP options lwIP does not decode go to
 * vnetif, which keeps the DNS server of an ACK (LWIP_DNS is off, so lwIP
 * does not).
 */
#ifndef LWIP_PORT_VNET_HOOKS_H
#define LWIP_PORT_VNET_HOOKS_H

#include <stdint.h>

struct dhcp;
struct pbuf;

void vnetif_dhcp_option(const struct dhcp *dhcp, uint8_t msg_type, uint8_t option, uint8_t len, struct pbuf *p,
                        uint16_t off);

#define LWIP_HOOK_DHCP_PARSE_OPTION(netif, dhcp, state, msg, msg_type, option, len, pbuf, offset) \
    do { (void)(msg), (void)(netif); vnetif_dhcp_option(dhcp, msg_type, option, len, pbuf, offset); } while (0)

#endif
