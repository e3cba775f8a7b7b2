/*
 * Where vnetif's NIC lives (vnetif_home.c), below the netif: the kernel's
 * multiplexer (a CAP_NET: net_info, net_filter, net_send, filters named
 * by CAP_FILTER capabilities) or the driver environment netmux (an
 * endpoint: the calls of <veneer/netmux.h>, filters named by netmux's
 * ids).  The receive rings are the same vn_rxring in both.  vnetif.c
 * calls only these, so lwIP and its users see no difference.
 */
#ifndef LWIP_PORT_VNETIF_HOME_H
#define LWIP_PORT_VNETIF_HOME_H

#include "vnetif.h"

/* Find the home of v->nic and read the NIC's MAC, MTU and flags into
 * info; with netmux, also make and grant the transmit page.  Errors:
 * -E_TYPE (neither a CAP_NET nor an endpoint), the home's. */
long vnet_home_open(struct vnetif *v, struct vn_netinfo *info);
/* Install prog[0..n) on ring r (its pages allocated): returns the filter
 * (> 0) or negative E_* (the kernel's codes in both homes). */
long vnet_home_filter(struct vnetif *v, struct vnetif_ring *r, const struct vn_pf_insn *prog, size_t n,
                      unsigned flags, uint64_t bit);
/* Remove filter f (> 0). */
void vnet_home_unfilter(struct vnetif *v, capref_t f);
/* Send frame[0..len) through filter f: 0 or net_send's errors. */
long vnet_home_send(struct vnetif *v, capref_t f, const void *frame, size_t len);
/* Ring r's pages are about to be freed: the home lets go of them first. */
void vnet_home_pages_gone(struct vnetif *v, struct vnetif_ring *r);
/* The interface closes: the home's own resources go. */
void vnet_home_close(struct vnetif *v);

#endif
