/*
 * Temporary: the network syscalls vnetif.c calls, for as long as
 * syscalls.tbl lacks them; here they fail with -E_NOSYS.  Once the table
 * has net_filter, net_send and net_info, SYS_net_filter is defined, the
 * generated stubs take over, and this file and its #include in vnetif.c
 * can go.
 */
#ifndef LWIP_PORT_VNET_CALLS_H
#define LWIP_PORT_VNET_CALLS_H

#include <stddef.h>
#include <veneer/syscall.h>
#include <veneer/net.h>

#ifndef SYS_net_filter
/* Install prog (n instructions) on nic for frames into the ring of pages
 * ring_pages, signalling bits on notify; returns the filter capability. */
static inline long vn_net_filter(capref_t nic, const struct vn_pf_insn *prog, size_t n, unsigned flags,
                                 capref_t ring_pages, capref_t notify, uint64_t bits)
{
    (void)nic, (void)prog, (void)n, (void)flags, (void)ring_pages, (void)notify, (void)bits;
    return -E_NOSYS;
}
/* Send the len-byte frame at frame through filter's NIC; 0 or an error. */
static inline long vn_net_send(capref_t filter, const void *frame, size_t len)
{
    (void)filter, (void)frame, (void)len;
    return -E_NOSYS;
}
/* Describe nic into *info. */
static inline long vn_net_info(capref_t nic, struct vn_netinfo *info)
{
    (void)nic, (void)info;
    return -E_NOSYS;
}
#endif

#endif
