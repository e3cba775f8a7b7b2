/*
 * Packet-filter programs (<veneer/net.h>) for one IPv4 address: its
 * traffic on a few ports or aligned port ranges, the ARP frames asking
 * for it, and DHCP's replies to a client.  Pure code (no lwIP, no
 * syscalls), so the host can test it (test_vnet_filter).
 */
#ifndef LWIP_PORT_VNET_FILTER_H
#define LWIP_PORT_VNET_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <veneer/net.h>

/* 5 instructions a port, and the final REJECT. */
#define VNETIF_PORTS_MAX 6

struct vnetif_port {
    uint8_t proto;              /* IP protocol: 6 TCP, 17 UDP, or 1 ICMP (port ignored) */
    uint16_t port;              /* local port, host order (0 with count 0: every port) */
    uint16_t count;             /* ports port..port+count-1: a power of two that divides port
                                   (0 or 1: the one port) */
};

/* Whether entry e names local port `port` of protocol proto. */
int vnet_port_covers(const struct vnetif_port *e, uint8_t proto, uint16_t port);

/* IPv4 frames to ip (host order) without IP options, unfragmented or the
 * first fragment, for one of the nports (<= VNETIF_PORTS_MAX) ports.
 * Writes the program to prog (VN_PF_MAX_INSNS room); returns its length. */
size_t vnet_filter_ip(struct vn_pf_insn *prog, uint32_t ip, const struct vnetif_port *ports, unsigned nports);
/* ARP frames whose target protocol address is ip; returns the length. */
size_t vnet_filter_arp(struct vn_pf_insn *prog, uint32_t ip);
/* DHCP server to client: IPv4 UDP from port 67 to port 68, to any
 * address (replies are often broadcast, and come before we have one);
 * install it VN_PF_SHARED, so that every stack on the NIC may run a
 * client at once.  Returns the length. */
size_t vnet_filter_dhcp(struct vn_pf_insn *prog);

#endif
