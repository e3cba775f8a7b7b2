/*
 * The network multiplexer: the NIC the kernel drives (drivers/netdev.h)
 * shared among libOSes by packet filters (see <veneer/net.h>).  Receive:
 * every frame is classified once by the merged filters (pf.h) and copied
 * into each owner's ring, with a notification; nothing claims it: the
 * default filter, else it is dropped and counted.  Transmit: a frame must
 * come from the NIC's address and be one whose reply the sender's filter
 * would receive.  All under the kernel lock.
 */
#ifndef KERNEL_NET_H
#define KERNEL_NET_H

#include <veneer/net.h>
#include "cap.h"
#include "types.h"

struct env;
struct notify;
struct netdev;

#define NET_FILTERS_MAX 256     /* installed at once, machine-wide */
#define NET_FILTERS_PER_ENV 128

/* An installed filter: CAP_FILTER's object (obj: slot, count: gen). */
struct net_filter {
    struct cap *cap;            /* the CAP_FILTER naming it (a child of the CAP_NET used); NULL: free */
    uint32_t gen;               /* bumped when freed: copies of its capability go stale */
    struct env *owner;          /* installed it */
    struct pf_filter *pf;       /* in the classifier (NULL: the default filter) */
    uint32_t flags;             /* VN_PF_* */
    uint32_t n;
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    uint64_t ring_pfn;          /* its ring: pages held by reference */
    uint32_t ring_pages, nslots;
    struct notify *notify;      /* signalled with bits on delivery (NULL once the word is gone) */
    uint64_t bits;
    struct net_filter *notify_next; /* list on the word */
    uint64_t frames, dropped;
};

/* Boot, after the drivers probed: the NIC (if any) gets its root capability. */
void net_init(void);
/* Give boot environment e a CAP_NET derived from the kernel's root (all
 * rights for the first, which may install the default filter; the rest
 * without CR_CONTROL, siblings of it); returns its slot or -1 (no NIC). */
int net_grant_boot(struct env *e, bool first);
/* net=user on the command line (net_user.c): the NIC is left to user space. */
bool net_user_wanted(void);
/* Start the driver environment netmux as first's child with the NIC's
 * device capability (one of first's ndevices); logs and does nothing if
 * there is no NIC or no netmux.  Panics if it cannot. */
void net_user_boot(struct env *first, unsigned ndevices);
/* Give boot environment e a badged endpoint to netmux (the next badge;
 * CR_CONTROL for the first); returns its slot, or -1 (no netmux). */
int net_user_grant(struct env *e, bool first);
/* The driver's receive upcall: one frame (under the kernel lock). */
void net_rx(void *ctx, const void *frame, size_t len);
/* Install a filter through CAP_NET c for e.  Errors: -E_INVAL (program,
 * flags, ring), -E_EXIST (overlaps a filter not related by derivation),
 * -E_PERM (default filter without CR_CONTROL on the root), -E_RANGE (c
 * derived too deeply), -E_NOSPC, -E_NOMEM, -E_QUOTA, -E_NODEV (no NIC). */
int net_filter_install(struct env *e, struct cap *c, const struct vn_pf_insn *prog, unsigned n, unsigned flags,
                       struct cap *ring, struct notify *notify, uint64_t bits, capref_t *out);
/* The live filter a CAP_FILTER names, or NULL (removed since). */
struct net_filter *net_filter_of(const struct cap *c);
/* Send a frame through filter f.  Errors: -E_INVAL (length), -E_PERM
 * (not the sender's traffic), -E_AGAIN (the device's queue is full),
 * -E_NODEV (no NIC). */
int net_send(struct net_filter *f, const uint8_t *frame, size_t len);
/* What net_info reports. */
void net_info(struct vn_netinfo *out);
/* A CAP_FILTER is being deleted: remove the filter, drop its ring. */
void net_filter_release(struct cap *c);
/* For the fuzzing audit: count the references filters hold on their
 * rings' pages into counted[pfn]. */
void net_audit_refs(uint32_t *counted);
/* The notification word n is going: filters bound to it stop signalling. */
void net_notify_gone(struct notify *n);

#endif
