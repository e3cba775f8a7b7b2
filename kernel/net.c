/*
 * The network multiplexer (see net.h and <veneer/net.h>).  The kernel's
 * NIC driver hands every received frame to net_rx, which classifies it
 * once with the merged filters (pf_classify.c: the cost depends on the
 * fields the filters test, not on how many there are), and copies it into
 * the ring of each owner: the winning exclusive filter (the most derived
 * capability's, when derivation allowed an overlap) and every matching
 * shared one.  A full ring drops the frame and counts it; nothing waits.
 *
 * Filters live in a fixed table (NET_FILTERS_MAX, NET_FILTERS_PER_ENV each)
 * with generations, so a copy of a filter's capability goes stale when
 * the original goes.  A filter holds a reference on each page of its ring, so the ring outlives any unmapping
 * by the libOS until the filter goes (its capability deleted or revoked,
 * its environment dead).  The ring's indices live in the libOS's page:
 * the kernel trusts only its own head (the frames it delivered, never the
 * page's copy) and treats a tail that makes no sense as a full ring.
 *
 * Transmission is checked against ownership: the frame must carry the
 * NIC's address as its source, and the filter it is sent through must
 * accept the frame's reply (source and destination swapped at the
 * Ethernet, ARP, IPv4 and TCP/UDP layers), so no libOS can send as
 * another's flow.  The default filter's holder (the root's) may send any
 * frame from the NIC's address.
 *
 * The ring and transmit arithmetic is drivers/net_mux/net_mux.h's, shared
 * with the user-level home of the same multiplexer (user/netmux.c, net=user).
 */
#include "console.h"
#include "env.h"
#include "ipc.h"
#include "klib.h"
#include "net.h"
#include "netdev.h"
#include "page_meta.h"
#include "panic.h"
#include "net_mux/net_mux.h"
#include "pmem.h"

#define NET_OWNERS_MAX 16       /* owners one frame is copied to */

static struct {
    struct netdev *dev;         /* NULL: no NIC */
    struct cap root;            /* kernel-held root of CAP_NET */
    struct pf_set set;          /* the merged exclusive and shared filters */
    struct net_filter *deflt;   /* the default filter, or NULL */
    struct vn_netinfo stats;
    struct net_filter filter[NET_FILTERS_MAX];
} net;                          /* kernel lock */

struct net_filter *net_filter_of(const struct cap *c)
{
    struct net_filter *f = c->obj < NET_FILTERS_MAX ? &net.filter[c->obj] : NULL;
    return f && f->cap && f->gen == (uint32_t)c->count ? f : NULL;
}

void net_init(void)
{
    struct netdev *nd = netdev_find(0);
    int r;
    pf_set_init(&net.set);
    if (!nd) {
        kprintf("net: no NIC\n");
        return;
    }
    if ((r = netdev_up(nd, net_rx, NULL)) < 0) {
        kprintf("net: %s does not come up (%d)\n", nd->name, r);
        return;
    }
    net.dev = nd;
    cap_init_kernel_root(&net.root, CAP_NET, CR_ALL, 0, 1);
    const uint8_t *m = net.dev->mac;
    kprintf("net: %02x:%02x:%02x:%02x:%02x:%02x, shared by packet filters\n", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int net_grant_boot(struct env *e, bool first)
{
    capref_t ref;
    if (!net.dev)
        return -1;
    if (cap_derive(&net.root, env_caps(e), first ? CR_ALL : CR_ALL & ~CR_CONTROL, &ref) < 0)
        panic("boot: cannot give the NIC to a boot environment");
    return ref;
}

void net_info(struct vn_netinfo *out)
{
    *out = net.stats;
    if (net.dev) {
        memcpy(out->mac, net.dev->mac, 6);
        out->mtu = 1500;
        out->flags = net.dev->link_up ? VN_NET_LINK_UP : 0;
    }
}

/* ------------------------------------------------------------ receive */

static void ring_put(struct net_filter *f, const void *frame, size_t len)
{
    struct vn_rxring *r = P2V(f->ring_pfn * PAGE_SIZE);
    uint32_t head = (uint32_t)f->frames;
    if (!net_ring_room(head, __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE), f->nslots)) {
        f->dropped++;
        r->dropped = f->dropped;
        net.stats.rx_dropped++;
        return;
    }
    net_slot_fill(pfn_entry(f->ring_pfn + 1, head % f->nslots, VN_RX_SLOTS_PER_PAGE, VN_RX_SLOT), frame, len);
    net_ring_publish(r, head, ++f->frames);
    if (f->notify)
        notify_signal(f->notify, f->bits);
}

void net_rx(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    if (!net_frame_ok(len))
        return;
    uint8_t head[VN_PF_MAX_OFF] = {0};
    memcpy(head, frame, MIN(len, sizeof(head)));
    void *owners[NET_OWNERS_MAX];
    uint64_t t0 = arch_tsc();
    unsigned n = pf_set_classify(&net.set, head, owners, NET_OWNERS_MAX);
    net.stats.rx_classify_tsc += arch_tsc() - t0;
    net.stats.rx_frames++;
    if (n == 0 && net.deflt)
        owners[n++] = net.deflt;
    if (n == 0)
        net.stats.rx_unclaimed++;
    for (unsigned i = 0; i < n; i++)
        ring_put(owners[i], frame, len);
}

/* ------------------------------------------------------------ filters */

/* How many derivations c is from the root (bounded: -1 if too deep). */
static int depth_of(const struct cap *c)
{
    int d = 0;
    for (; c->parent; c = c->parent)
        if (++d > VN_NET_DEPTH_MAX)
            return -1;
    return d;
}

/* Whether a is a strict ancestor of b (within the depth bound): b was
 * derived, directly or not, from a.  The same capability does not count:
 * two overlapping filters of one holder would have no order. */
static bool derives(const struct cap *a, const struct cap *b)
{
    for (int d = 0; b && d <= VN_NET_DEPTH_MAX + 1; d++) {
        b = b->parent;
        if (a == b)
            return true;
    }
    return false;
}

int net_filter_install(struct env *e, struct cap *c, const struct vn_pf_insn *prog, unsigned n, unsigned flags,
                       struct cap *ring, struct notify *notify, uint64_t bits, capref_t *out)
{
    e = env_space(e);   /* a thread's objects are its space's (env_caps) */
    if (!net.dev)
        return -E_NODEV;
    bool deflt = flags & VN_PF_DEFAULT;
    if (net_filter_shape(flags, bits, ring->count) < 0 || (page_info[ring->obj].flags & VN_PI_KERNEL))
        return -E_INVAL;
    if (!deflt && pf_verify(prog, n) < 0)
        return -E_INVAL;
    int depth = depth_of(c);
    if (depth < 0)
        return -E_RANGE;
    if (deflt && (c->parent != &net.root || !(c->rights & CR_CONTROL)))
        return -E_PERM;     /* the root's holder, as the first environment got it */
    if (deflt && net.deflt)
        return -E_EXIST;
    if (!deflt) {
        void *clash[NET_OWNERS_MAX];
        unsigned k = pf_set_conflicts(&net.set, prog, n, flags, clash, NET_OWNERS_MAX);
        if (k == NET_OWNERS_MAX)
            return -E_EXIST;
        for (unsigned i = 0; i < k; i++) {
            struct cap *other = ((struct net_filter *)clash[i])->cap->parent;
            if (!derives(c, other) && !derives(other, c))
                return -E_EXIST;
        }
    }
    struct net_filter *f = NULL;
    unsigned mine = 0;
    for (unsigned i = 0; i < NET_FILTERS_MAX; i++) {
        if (!net.filter[i].cap && !f)
            f = &net.filter[i];
        mine += net.filter[i].cap && net.filter[i].owner == e;
    }
    if (!f || mine >= NET_FILTERS_PER_ENV)
        return -E_NOSPC;
    /* Invoke: the classifier entry, the capability. */
    *f = (struct net_filter){.gen = f->gen, .owner = e, .flags = flags, .n = deflt ? 0 : n, .ring_pfn = ring->obj,
                             .ring_pages = (uint32_t)ring->count,
                             .nslots = net_ring_slots(ring->count),
                             .notify = notify, .bits = bits};
    memcpy(f->prog, prog, f->n * sizeof(*prog));
    int r = 0;
    if (!deflt && (r = pf_set_add(&net.set, f->prog, f->n, flags, (unsigned)depth, f, &f->pf)) < 0)
        return r;
    if ((r = cap_derive_object(c, env_caps(e), CAP_FILTER, CR_WRITE | CR_GRANT, (uint64_t)(f - net.filter), f->gen,
                               out)) < 0) {
        if (f->pf)
            pf_set_remove(&net.set, f->pf);
        return r;
    }
    env_cap_lookup(e, *out, CAP_FILTER, 0, &f->cap);
    page_ref_range(f->ring_pfn, f->ring_pages);
    net_ring_reset(P2V(f->ring_pfn * PAGE_SIZE), f->nslots);
    f->notify_next = notify->nets;
    notify->nets = f;
    if (deflt)
        net.deflt = f;
    net.stats.filters++;
    return 0;
}

void net_filter_release(struct cap *c)
{
    struct net_filter *f = net_filter_of(c);
    if (!f || f->cap != c)
        return;     /* a copy (granted or derived): the filter goes with its own capability */
    if (f->pf)
        pf_set_remove(&net.set, f->pf);
    if (net.deflt == f)
        net.deflt = NULL;
    if (f->notify)
        SLIST_UNLINK(&f->notify->nets, f, notify_next);
    page_unref_range(f->ring_pfn, f->ring_pages);
    net.stats.filters--;
    f->cap = NULL;
    f->gen++;
}

void net_audit_refs(uint32_t *counted)
{
    for (unsigned i = 0; i < NET_FILTERS_MAX; i++)
        for (uint32_t k = 0; net.filter[i].cap && k < net.filter[i].ring_pages; k++)
            counted[net.filter[i].ring_pfn + k]++;
}

void net_notify_gone(struct notify *n)
{
    for (struct net_filter *f = n->nets; f; f = f->notify_next)
        f->notify = NULL;
    n->nets = NULL;
}

/* ------------------------------------------------------------ transmit */

int net_send(struct net_filter *f, const uint8_t *frame, size_t len)
{
    if (!net.dev)
        return -E_NODEV;
    if (!net_frame_ok(len))
        return -E_INVAL;
    if (!net_tx_allowed(frame, len, net.dev->mac, net.deflt == f, f->prog, f->n)) {
        net.stats.tx_refused++;
        return -E_PERM;
    }
    int r = netdev_tx(net.dev, frame, len);
    if (r == 0)
        net.stats.tx_frames++;
    return r;
}
