/*
 * The filter programs vnetif installs.  A term per port compares, at the
 * frame offsets of Ethernet + IPv4 without options:
 *   12: 4 bytes  EtherType 0x0800, version 4 and IHL 5 (the TOS ignored)
 *   20: 4 bytes  fragment offset 0 (flags ignored), the protocol (TTL ignored)
 *   30: 4 bytes  destination address
 *   36: 2 bytes  destination port, masked for an aligned range (not for
 *                ICMP, nor for port 0: every port)
 * and accepts; a compare that fails jumps to the next term.  Later
 * fragments are never claimed: their offset 36 is payload.  DHCP's
 * program compares both ports at once (34: 4 bytes, 67 then 68) and no
 * address.
 */
#include "vnet_filter.h"

#define ETHTYPE_IPV4    0x0800
#define ETHTYPE_ARP     0x0806
#define PROTO_ICMP      1
#define OFF_ETHTYPE     12
#define OFF_IP_FRAG     20
#define OFF_IP_DST      30
#define OFF_SPORT       34
#define OFF_DPORT       36
#define DHCP_PORTS      (67u << 16 | 68u)   /* server -> client */
#define OFF_ARP_TPA     38      /* 14 + the target protocol address's 24 */

static struct vn_pf_insn cmp(uint16_t off, uint8_t size, uint32_t mask, uint32_t val, size_t fail)
{
    return (struct vn_pf_insn){.op = VN_PF_CMP, .size = size, .off = off, .fail = (uint16_t)fail, .mask = mask,
                               .val = val & mask};
}

/* The mask of an entry's port compare: count low bits ignored. */
static uint16_t port_mask(const struct vnetif_port *e)
{
    return e->count > 1 ? (uint16_t)~(e->count - 1) : 0xffff;
}

int vnet_port_covers(const struct vnetif_port *e, uint8_t proto, uint16_t port)
{
    if (e->proto != proto)
        return 0;
    return proto == PROTO_ICMP || (e->port == 0 && e->count == 0) || (port & port_mask(e)) == e->port;
}

size_t vnet_filter_ip(struct vn_pf_insn *prog, uint32_t ip, const struct vnetif_port *ports, unsigned nports)
{
    size_t k = 0;
    for (unsigned i = 0; i < nports && i < VNETIF_PORTS_MAX; i++) {
        int any = ports[i].proto == PROTO_ICMP || (ports[i].port == 0 && ports[i].count == 0);
        size_t next = k + (any ? 4 : 5);
        prog[k++] = cmp(OFF_ETHTYPE, 4, 0xffffff00, (uint32_t)ETHTYPE_IPV4 << 16 | 0x4500, next);
        prog[k++] = cmp(OFF_IP_FRAG, 4, 0x1fff00ff, ports[i].proto, next);
        prog[k++] = cmp(OFF_IP_DST, 4, 0xffffffff, ip, next);
        if (!any)
            prog[k++] = cmp(OFF_DPORT, 2, port_mask(&ports[i]), ports[i].port, next);
        prog[k++] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    }
    prog[k++] = (struct vn_pf_insn){.op = VN_PF_REJECT};
    return k;
}

size_t vnet_filter_arp(struct vn_pf_insn *prog, uint32_t ip)
{
    prog[0] = cmp(OFF_ETHTYPE, 2, 0xffff, ETHTYPE_ARP, 3);
    prog[1] = cmp(OFF_ARP_TPA, 4, 0xffffffff, ip, 3);
    prog[2] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    prog[3] = (struct vn_pf_insn){.op = VN_PF_REJECT};
    return 4;
}

size_t vnet_filter_dhcp(struct vn_pf_insn *prog)
{
    prog[0] = cmp(OFF_ETHTYPE, 4, 0xffffff00, (uint32_t)ETHTYPE_IPV4 << 16 | 0x4500, 4);
    prog[1] = cmp(OFF_IP_FRAG, 4, 0x1fff00ff, 17, 4);
    prog[2] = cmp(OFF_SPORT, 4, 0xffffffff, DHCP_PORTS, 4);
    prog[3] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    prog[4] = (struct vn_pf_insn){.op = VN_PF_REJECT};
    return 5;
}
