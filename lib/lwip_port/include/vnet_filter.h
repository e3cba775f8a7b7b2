/*
 * Packet-filter programs (<veneer/net.h>) for one IPv4 address: its
 * traffic on a few ports, and the ARP frames asking for it.  Pure code
 * (no lwIP, no syscalls), so the host can test it (test_vnet_filter).
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
    uint16_t port;              /* local port, host order (0: every port) */
};

/* IPv4 frames to ip (host order) without IP options, unfragmented or the
 * first fragment, for one of the nports (<= VNETIF_PORTS_MAX) ports.
 * Writes the program to prog (VN_PF_MAX_INSNS room); returns its length. */
size_t vnet_filter_ip(struct vn_pf_insn *prog, uint32_t ip, const struct vnetif_port *ports, unsigned nports);
/* ARP frames whose target protocol address is ip; returns the length. */
size_t vnet_filter_arp(struct vn_pf_insn *prog, uint32_t ip);

#endif
