/*
 * DHCP for a vnetif (vnet_dhcp.h).  lwIP's client does the protocol; this
 * runs the interface while it works, bounds the wait, and falls back to a
 * static address.  The DHCP frames pass the kernel because vnetif sends a
 * client's frames (UDP 68 -> 67) through DHCP's shared filter, whose reply
 * (67 -> 68, to any address: QEMU broadcasts its answers) is what that
 * filter accepts.  Two stacks on one NIC share its MAC, so QEMU's server,
 * which keys its leases by MAC, offers both the same address; each takes
 * only its own answers (lwIP checks the transaction id).
 */
#include <vn.h>
#include "lwip/dhcp.h"
#include "lwip/timeouts.h"
#include "vnet_dhcp.h"
#include "vnetif.h"

void vnet_ifconfig_get(struct netif *nif, struct vnet_ifconfig *cfg)
{
    const struct vnetif *v = nif->state;
    ip4_addr_copy(cfg->ip, *netif_ip4_addr(nif));
    ip4_addr_copy(cfg->mask, *netif_ip4_netmask(nif));
    ip4_addr_copy(cfg->gw, *netif_ip4_gw(nif));
    cfg->dhcp = dhcp_supplied_address(nif);
    cfg->dns = cfg->dhcp ? v->dns : 0;
}

void vnet_ifconfig_format(const struct vnet_ifconfig *cfg, char *buf, size_t n)
{
    char ip[16], gw[16], dns[16] = "none";
    ip4_addr_t d;
    ip4_addr_set_u32(&d, cfg->dns);
    ip4addr_ntoa_r(&cfg->ip, ip, sizeof(ip));
    ip4addr_ntoa_r(&cfg->gw, gw, sizeof(gw));
    if (cfg->dns)
        ip4addr_ntoa_r(&d, dns, sizeof(dns));
    int bits = 0;
    for (uint32_t m = ip4_addr_get_u32(&cfg->mask); m; m &= m - 1)
        bits++;
    snprintf(buf, n, "%s/%d via %s, DNS %s (%s)", ip, bits, gw, dns,
             cfg->dhcp ? "DHCP" : "static");
}

bool vnet_dhcp_acquire(struct netif *nif, uint32_t wait_ms, const ip4_addr_t *ip, const ip4_addr_t *mask,
                       const ip4_addr_t *gw, struct vnet_ifconfig *cfg)
{
    uint64_t until = vn_clock_ns() + (uint64_t)wait_ms * 1000000;
    bool bound = dhcp_start(nif) == ERR_OK;
    while (bound && !dhcp_supplied_address(nif)) {
        if (vn_clock_ns() >= until) {
            bound = false;
            break;
        }
        vnetif_poll(nif);
        sys_check_timeouts();
        vnetif_wait(nif);           /* DHCP's fine timer is due every 500 ms: bounded */
    }
    if (!bound) {
        dhcp_release_and_stop(nif);
        netif_set_addr(nif, ip, mask, gw);
    }
    vnetif_poll(nif);               /* the filters move to the address now */
    vnet_ifconfig_get(nif, cfg);
    return bound;
}
