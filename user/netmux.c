/*
 * netmux: a user-level NIC driver environment that multiplexes one
 * virtio-net NIC among other environments exactly as kernel/net.c does
 * in the kernel (net=user; the second home of the NIC multiplexer,
 * docs/devices.md and docs/network.md).
 *
 *   kernel (net=user) --spawn, device cap--> netmux: drivers/virtio_net
 *                                            in the user home
 *   client --NETMUX_GRANT (badged)--> its ring pages, mapped here
 *   client --NETMUX_FILTER--> program copied from the ring's first page,
 *          verified and merged by drivers/pf, as in the kernel
 *   NIC --rx--> pf_set_classify --copy--> owner's vn_rxring + notify
 *   client --NETMUX_SEND (frame in a granted page)--> copied here, checked
 *          by drivers/net_mux (net_tx_allowed) --> netdev_tx
 *
 * Authority: the badge of the endpoint a client calls names it (the
 * kernel mints them at boot: <veneer/netmux.h>); a filter or a grant is
 * usable only through the badge that made it.  Overlapping filters are
 * refused unless both are VN_PF_SHARED (no badge derives from another,
 * so the kernel's derivation rule has nothing to order here); badge 1
 * (the first boot environment's) alone may install the default filter.
 * Everything a client names is copied before it is checked: the program
 * (from its ring page) and the frame (from its tx page).
 *
 * netmux_evil on the kernel command line (tests only: netmux_hostile.t's
 * victim): a hostile driver that fills every new ring with garbage (a
 * nonsense head, slots of any length and content), floods the client's
 * word with 1,000 notifications, and after NETMUX_EVIL_CALLS calls never
 * answers again; its clients must lose only service.
 *
 * One thread: calls and received frames alternate.  netmux cannot sleep
 * on its IPC endpoint and its interrupt at once, so it polls the device
 * (uhome_poll: no syscall) between calls and sleeps in ipc_recv for at
 * most NETMUX_BUSY_NS while traffic flows, NETMUX_IDLE_NS when idle: a
 * frame waits at most that long.  A client's pages are looked at before
 * each use (grant_live: one cap_info); a filter whose ring went with a
 * dead client goes at its next frame.  Not yet: a client that revokes a
 * ring between that look and the copy makes netmux fault (only netmux
 * dies; its clients lose service), and a dead client's filters that
 * receive nothing stay until netmux ends.
 */
#include <libveneer.h>
#include <ipc.h>
#include <vn.h>
#include <veneer/net.h>
#include <veneer/netmux.h>
#include "home_user.h"
#include "net_mux/net_mux.h"
#include "netdev.h"
#include "virtio_net/virtio_net.h"

#define NETMUX_BUSY_NS   50000ull       /* ipc_recv's timeout while frames flow */
#define NETMUX_IDLE_NS   1000000ull     /* ... and after NETMUX_QUIET_NS without any */
#define NETMUX_QUIET_NS  20000000ull
#define NETMUX_OWNERS    16
#define NETMUX_PAGE      4096ull
#define NETMUX_EVIL_CALLS 8

struct nm_grant {
    capref_t cap;                   /* our copy (0: free) */
    uint8_t *va;                    /* mapped here, writable */
    uint64_t pages;
    uint64_t object;                /* its first physical address: a reused slot is not it */
    unsigned filters;               /* filters whose ring it is */
};

struct nm_filter {
    unsigned client;                /* its badge (0: free) */
    struct nm_grant *ring;
    struct pf_filter *pf;           /* NULL: the default filter */
    uint32_t flags, n, nslots;
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    capref_t notify;
    uint64_t bits, frames, dropped;
};

static struct {
    struct netdev *nd;
    struct pf_set set;
    struct nm_filter f[NETMUX_FILTERS_MAX];
    struct nm_filter *deflt;
    struct nm_grant g[NETMUX_CLIENTS_MAX][NETMUX_GRANTS_MAX];
    struct vn_netinfo stats;
    uint64_t last_frame;
} m;

static const struct drv_driver *const drivers[] = {&virtio_net_driver};
static bool evil;

/* The hostile driver's doing to a new filter's ring and word. */
static void evil_ring(struct nm_filter *f)
{
    volatile struct vn_rxring *r = (volatile struct vn_rxring *)f->ring->va;
    for (uint32_t i = 0; i < f->nslots; i++) {
        struct vn_rxslot *sl = (struct vn_rxslot *)(f->ring->va + NETMUX_PAGE * (1 + i / VN_RX_SLOTS_PER_PAGE) +
                                                    VN_RX_SLOT * (i % VN_RX_SLOTS_PER_PAGE));
        sl->len = (uint16_t)(i * 2654435761u);
        for (unsigned k = 0; k < sizeof(sl->data); k += 8)
            *(uint64_t *)(sl->data + k) = (i + k) * 0x9e3779b97f4a7c15ull;
    }
    r->head = r->tail + 0x7fffffffu;
    r->nslots = 7;
    for (int i = 0; i < 1000; i++)
        vn_notify_signal(f->notify, ~0ull >> 1);
}

static void filter_remove(struct nm_filter *f);

/* Whether grant g's pages are still ours: a client that died or revoked
 * them took them back (the kernel unmapped them here). */
static bool grant_live(const struct nm_grant *g)
{
    struct vn_capinfo ci;
    return vn_cap_info(g->cap, &ci) == 0 && ci.type == CAP_PAGE && ci.object == g->object;
}

/* ------------------------------------------------------------ receive */

static void ring_put(struct nm_filter *f, const void *frame, size_t len)
{
    volatile struct vn_rxring *r = (volatile struct vn_rxring *)f->ring->va;
    if (!grant_live(f->ring)) {         /* its client is gone: so is the filter */
        filter_remove(f);
        m.stats.rx_dropped++;
        return;
    }
    uint32_t head = (uint32_t)f->frames;
    if (!net_ring_room(head, __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE), f->nslots)) {
        r->dropped = ++f->dropped;
        m.stats.rx_dropped++;
        return;
    }
    uint32_t i = head % f->nslots;
    net_slot_fill((struct vn_rxslot *)(f->ring->va + NETMUX_PAGE * (1 + i / VN_RX_SLOTS_PER_PAGE) +
                                       VN_RX_SLOT * (i % VN_RX_SLOTS_PER_PAGE)), frame, len);
    net_ring_publish(r, head, ++f->frames);
    vn_notify_signal(f->notify, f->bits);
}

/* The driver's receive upcall (from uhome_poll). */
static void rx(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    if (!net_frame_ok(len))
        return;
    uint8_t head[VN_PF_MAX_OFF] = {0};
    memcpy(head, frame, len < sizeof(head) ? len : sizeof(head));
    void *owners[NETMUX_OWNERS];
    unsigned n = pf_set_classify(&m.set, head, owners, NETMUX_OWNERS);
    m.stats.rx_frames++;
    if (n == 0 && m.deflt)
        owners[n++] = m.deflt;
    if (n == 0)
        m.stats.rx_unclaimed++;
    for (unsigned i = 0; i < n; i++)
        ring_put(owners[i], frame, len);
    m.last_frame = vn_clock_ns();
}

/* ------------------------------------------------------------ control */

static struct nm_grant *grant_of(unsigned client, uint64_t handle)
{
    struct nm_grant *g = handle < NETMUX_GRANTS_MAX ? &m.g[client - 1][handle] : NULL;
    return g && g->cap > 0 ? g : NULL;
}

static struct nm_filter *filter_of(unsigned client, uint64_t id)
{
    struct nm_filter *f = id < NETMUX_FILTERS_MAX ? &m.f[id] : NULL;
    return f && f->client == client ? f : NULL;
}

/* Keep and map the pages cap (ours now) for client.  Errors: -E_INVAL
 * (not CAP_PAGE with CR_MAP and CR_WRITE, too many pages), -E_NOSPC,
 * page_map's. */
static long op_grant(unsigned client, capref_t cap, uint64_t *handle)
{
    struct vn_capinfo ci;
    if (cap < 0 || vn_cap_info(cap, &ci) < 0 || ci.type != CAP_PAGE || (ci.rights & (CR_MAP | CR_WRITE)) !=
        (CR_MAP | CR_WRITE) || ci.count == 0 || ci.count > VN_RING_PAGES_MAX)
        return -E_INVAL;
    struct nm_grant *g = NULL;
    for (unsigned i = 0; i < NETMUX_GRANTS_MAX && !g; i++)
        if (!m.g[client - 1][i].cap)
            g = &m.g[client - 1][i];
    if (!g)
        return -E_NOSPC;
    uint64_t va = vn_va_reserve(ci.count);
    struct vn_map_entry me[VN_RING_PAGES_MAX];
    for (uint64_t i = 0; i < ci.count; i++)
        me[i] = (struct vn_map_entry){va + i * NETMUX_PAGE, cap, VM_PROT_WRITE, i};
    long r = vn_page_map(CAP_SELF, me, ci.count);
    if (r != (long)ci.count)
        return r < 0 ? r : -E_INVAL;
    *g = (struct nm_grant){.cap = cap, .va = (uint8_t *)va, .pages = ci.count, .object = ci.object};
    *handle = (uint64_t)(g - m.g[client - 1]);
    return 0;
}

/* Drop a grant no filter uses.  Errors: -E_NOENT, -E_BUSY. */
static long op_ungrant(unsigned client, uint64_t handle)
{
    struct nm_grant *g = grant_of(client, handle);
    if (!g)
        return -E_NOENT;
    if (g->filters)
        return -E_BUSY;
    vn_cap_delete(g->cap);          /* unmaps it here */
    *g = (struct nm_grant){0};
    return 0;
}

/* Install a filter (kernel/net.c's net_filter_install, the same order of
 * checks).  Errors: -E_INVAL (program, flags, ring, word), -E_NOENT (a
 * ring not granted), -E_PERM (the default filter but not badge 1),
 * -E_EXIST (an overlap, or a second default), -E_NOSPC. */
static long op_filter(unsigned client, const struct vn_msg *msg, uint64_t *id)
{
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    struct vn_capinfo ci;
    unsigned n = (unsigned)(msg->w[1] >> 32), flags = (unsigned)msg->w[2];
    bool deflt = flags & VN_PF_DEFAULT;
    struct nm_grant *g = grant_of(client, (uint32_t)msg->w[1]);
    if (!g || !grant_live(g))
        return -E_NOENT;
    if (net_filter_shape(flags, msg->w[3], g->pages) < 0 || n > VN_PF_MAX_INSNS || (!deflt && n == 0) ||
        (msg->w[3] & ~VN_NOTIFY_BITS) || msg->cap < 0 || vn_cap_info(msg->cap, &ci) < 0 ||
        ci.type != CAP_NOTIFY || !(ci.rights & CR_WRITE))
        return -E_INVAL;
    memcpy(prog, g->va + NETMUX_PROG_OFF, n * sizeof(prog[0]));     /* once: what is checked is what runs */
    if (!deflt && pf_verify(prog, n) < 0)
        return -E_INVAL;
    if (deflt && client != NETMUX_BADGE_FIRST)
        return -E_PERM;
    if (deflt && m.deflt)
        return -E_EXIST;
    void *clash[1];
    if (!deflt && pf_set_conflicts(&m.set, prog, n, flags, clash, 1))
        return -E_EXIST;
    struct nm_filter *f = NULL;
    for (unsigned i = 0; i < NETMUX_FILTERS_MAX && !f; i++)
        if (!m.f[i].client)
            f = &m.f[i];
    if (!f)
        return -E_NOSPC;
    *f = (struct nm_filter){.client = client, .ring = g, .flags = flags, .n = deflt ? 0 : n,
                            .nslots = net_ring_slots(g->pages), .notify = msg->cap, .bits = msg->w[3]};
    memcpy(f->prog, prog, f->n * sizeof(prog[0]));
    int r;
    if (!deflt && (r = pf_set_add(&m.set, f->prog, f->n, flags, 0, f, &f->pf)) < 0) {
        f->client = 0;
        return r;
    }
    /* Invoke: nothing below fails. */
    g->filters++;
    net_ring_reset((volatile struct vn_rxring *)g->va, f->nslots);
    if (deflt)
        m.deflt = f;
    m.stats.filters++;
    *id = (uint64_t)(f - m.f);
    return 0;
}

static void filter_remove(struct nm_filter *f)
{
    if (f->pf)
        pf_set_remove(&m.set, f->pf);
    if (m.deflt == f)
        m.deflt = NULL;
    f->ring->filters--;
    vn_cap_delete(f->notify);
    m.stats.filters--;
    *f = (struct nm_filter){0};
}

/* Send the frame the client put in a granted page.  Errors: -E_NOENT (a
 * filter or grant not the caller's), -E_INVAL (length, place), -E_PERM
 * (not its traffic), netdev_tx's (-E_AGAIN: the device's queue full). */
static long op_send(unsigned client, const struct vn_msg *msg)
{
    static uint8_t frame[VN_FRAME_MAX];
    struct nm_filter *f = filter_of(client, msg->w[1]);
    struct nm_grant *g = grant_of(client, msg->w[2]);
    uint64_t off = (uint32_t)msg->w[3], len = msg->w[3] >> 32;
    if (!f || !g || !grant_live(g))
        return -E_NOENT;
    if (!net_frame_ok(len) || off >= g->pages * NETMUX_PAGE || len > NETMUX_PAGE - off % NETMUX_PAGE)
        return -E_INVAL;
    memcpy(frame, g->va + off, len);    /* once: what is checked is what leaves */
    if (!net_tx_allowed(frame, len, m.nd->mac, f == m.deflt, f->prog, f->n)) {
        m.stats.tx_refused++;
        return -E_PERM;
    }
    int r = netdev_tx(m.nd, frame, len);
    if (r == 0)
        m.stats.tx_frames++;
    return r;
}

/* Serve one call; the reply goes in rep. */
static void serve(const struct vn_msg *msg, uint64_t rep[4])
{
    unsigned client = msg->badge >= 1 && msg->badge <= NETMUX_CLIENTS_MAX ? (unsigned)msg->badge : 0;
    bool keep = false;                  /* the capability it carried stays ours */
    long s;
    struct nm_filter *f;
    if (!client) {
        s = -E_PERM;
    } else if (msg->w[0] == NETMUX_INFO) {
        uint64_t mac = 0;
        memcpy(&mac, m.nd->mac, 6);
        rep[1] = mac | (uint64_t)1500 << 48;
        rep[2] = m.nd->link_up ? VN_NET_LINK_UP : 0;
        rep[3] = m.stats.filters;
        s = 0;
    } else if (msg->w[0] == NETMUX_GRANT) {
        keep = (s = op_grant(client, msg->cap, &rep[1])) == 0;
    } else if (msg->w[0] == NETMUX_UNGRANT) {
        s = op_ungrant(client, msg->w[1]);
    } else if (msg->w[0] == NETMUX_FILTER) {
        keep = (s = op_filter(client, msg, &rep[1])) == 0;
        if (keep && evil)
            evil_ring(&m.f[rep[1]]);
    } else if (msg->w[0] == NETMUX_UNFILTER) {
        s = (f = filter_of(client, msg->w[1])) ? (filter_remove(f), 0) : -E_NOENT;
    } else if (msg->w[0] == NETMUX_SEND) {
        s = op_send(client, msg);
    } else {
        s = -E_INVAL;
    }
    if (!keep && msg->cap >= 0)
        vn_cap_delete(msg->cap);
    rep[0] = (uint64_t)s;
}

int main(uint64_t arg0, uint64_t dev)
{
    (void)arg0;
    struct drv_dev *dd;
    uint64_t calls = 0;
    for (const char *p = (const char *)vn_sysinfo->cmdline; *p && !evil; p++)
        evil = strncmp(p, "netmux_evil", 11) == 0;
    pf_set_init(&m.set);
    int r = uhome_init();
    if (r == 0)
        r = uhome_attach((capref_t)dev, drivers, 1, &dd);
    m.nd = r == 0 ? netdev_find(0) : NULL;
    if (m.nd && (r = netdev_up(m.nd, rx, NULL)) < 0)
        m.nd = NULL;
    if (!m.nd) {
        printf("netmux: no NIC to serve (%s)\n", vn_strerror(r));
        return 1;
    }
    const uint8_t *a = m.nd->mac;
    printf("netmux: %s: %02x:%02x:%02x:%02x:%02x:%02x, shared by packet filters (net=user)\n", m.nd->name,
           a[0], a[1], a[2], a[3], a[4], a[5]);
    for (;;) {
        struct vn_msg msg;
        uhome_poll();
        bool busy = vn_clock_ns() - m.last_frame < NETMUX_QUIET_NS;
        if (vn_recv(busy ? NETMUX_BUSY_NS : NETMUX_IDLE_NS, &msg) == 0) {
            uint64_t rep[4] = {0};
            serve(&msg, rep);
            if (evil && ++calls > NETMUX_EVIL_CALLS) {
                printf("netmux: evil: never answering again\n");
                for (;;)
                    uhome_wait(UHOME_FOREVER);
            }
            vn_ipc_reply(rep[0], rep[1], rep[2], rep[3]);
        }
    }
}
