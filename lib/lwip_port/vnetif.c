/*
 * vnetif: lwIP's network interface on Veneer's NIC ABI (see vnetif.h and
 * <veneer/net.h>).  Receiving: the kernel copies frames that pass a filter
 * into that filter's ring, in our pages, and ORs the filter's bit into our
 * notification word; vnetif_poll copies frames into PBUF_POOL pbufs,
 * handing their slots back (tail), ahead of giving them to netif->input.
 * vnetif_wait sleeps on the word no longer than lwIP's next timer.
 * Sending: linkoutput copies the frame into one buffer that never crosses
 * a page, pads it to Ethernet's 60 bytes and net_sends it through the
 * filter whose traffic it is (ARP through the ARP filter, a DHCP client's
 * through DHCP's, the rest through the claim that covers its source port):
 * the kernel lets out only frames whose replies that filter would
 * receive.  When the device's queue is full (E_AGAIN) it sleeps a little
 * on the word and tries again, a bounded number of times: the device
 * drains its queue at its own pace, and a frame given up is one TCP sends
 * again.  The NIC's home (the kernel's multiplexer, or the driver
 * environment netmux with net=user) is vnetif_home.c's business: the
 * rings and everything above are the same in both.
 *
 * Filters name the address, so both paths first check that the filters
 * still name the netif's (addr_sync): DHCP or netif_set_addr may have
 * changed it.  A claim moves by deleting its filter and installing the
 * new program on the same ring (the old and new ones would overlap only
 * if the address had not changed).  DHCP's shared filter is installed
 * when the client sends (discovery, renewal) and removed once it is bound
 * again, so between renewals a stack hears no one's DHCP.
 */
#include <vn.h>
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/prot/dhcp.h"
#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "vnet_filter.h"
#include "vnet_hooks.h"
#include "vnetif.h"
#include "vnetif_home.h"

#define ARP_RING_PAGES  3       /* 4 slots */
#define DHCP_RING_PAGES 3
#define VNETIF_BATCH    256     /* frames taken out of a ring ahead of lwIP (PBUF_POOL_SIZE) */
#define VNETIF_FEED     16      /* frames given to lwIP between looks at the ring */
#define VNETIF_POLL_MAX 1024    /* frames one poll takes from a ring */
#define BIT_IP          0x1     /* the claims */
#define BIT_SHARED      0x2     /* ARP, DHCP */
#define PROTO_ICMP      1
#define PROTO_TCP       6
#define PROTO_UDP       17
#define ETH_MIN_FRAME   60      /* without FCS */

/* Remove the ring's filter, keeping its pages for another. */
static void ring_uninstall(struct vnetif *v, struct vnetif_ring *r)
{
    if (r->filter > 0)
        vnet_home_unfilter(v, r->filter);
    r->filter = -1;
}

static void ring_close(struct vnetif *v, struct vnetif_ring *r)
{
    ring_uninstall(v, r);
    vnet_home_pages_gone(v, r);
    if (r->pages > 0)
        vn_cap_delete(r->pages);        /* frees the pages, with their mapping */
    r->pages = -1;
    r->hdr = NULL;
    r->npages = r->nslots = 0;
}

/* Give the ring npages of its own, mapped (kept if it has them already).
 * Errors: negative E_* (nothing stays allocated). */
static long ring_alloc(struct vnetif *v, struct vnetif_ring *r, uint64_t npages)
{
    struct vn_map_entry m[VN_RING_PAGES_MAX];
    if (r->hdr && r->npages == npages)
        return 0;
    ring_close(v, r);
    long pages = vn_page_alloc(CAP_SELF, 0, npages);
    if (pages < 0)
        return pages;
    r->pages = (capref_t)pages;
    uint64_t va = vn_va_reserve(npages);
    for (uint64_t i = 0; i < npages; i++)
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, r->pages, VM_PROT_WRITE, i};
    long e = vn_page_map(CAP_SELF, m, npages);
    if (e < 0) {
        ring_close(v, r);
        return e;
    }
    r->hdr = (volatile struct vn_rxring *)va;
    r->npages = (uint32_t)npages;
    r->nslots = (uint32_t)(npages - 1) * VN_RX_SLOTS_PER_PAGE;
    return 0;
}

/* Install prog on the ring (its pages allocated), signalling bit; the
 * kernel empties the ring.  Errors: negative E_* (no filter then). */
static long ring_install(struct vnetif *v, struct vnetif_ring *r, const struct vn_pf_insn *prog, size_t n,
                         unsigned flags, uint64_t bit)
{
    ring_uninstall(v, r);
    long e = vnet_home_filter(v, r, prog, n, flags, bit);
    if (e < 0)
        return e;
    r->filter = (capref_t)e;
    return 0;
}

/* Allocate and map npages for a ring and install prog on it.  Errors:
 * negative E_* (nothing stays allocated). */
static long ring_open(struct vnetif *v, struct vnetif_ring *r, uint64_t npages, const struct vn_pf_insn *prog,
                      size_t n, unsigned flags, uint64_t bit)
{
    long e = ring_alloc(v, r, npages);
    if (e == 0 && (e = ring_install(v, r, prog, n, flags, bit)) < 0)
        ring_close(v, r);
    return e;
}

static bool ring_live(const struct vnetif_ring *r)
{
    return r->hdr && r->filter > 0;
}

/* Install claim c's filter for the interface's address. */
static long claim_install(struct vnetif *v, struct vnetif_claim *c)
{
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    return ring_install(v, &c->ring, prog, vnet_filter_ip(prog, v->addr, c->ports, c->nports), 0, BIT_IP);
}

/* Make the filters name the netif's address (host order) if they name
 * another: ARP's and every claim's move; a claim the kernel now refuses
 * stays without a filter (and its traffic goes unclaimed). */
static void addr_sync(struct netif *netif)
{
    struct vnetif *v = netif->state;
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    uint32_t ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif)));
    if (ip == v->addr)
        return;
    v->addr = ip;
    ring_uninstall(v, &v->arp);
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        ring_uninstall(v, &v->claim[i].ring);
    if (!ip)
        return;
    if (ring_alloc(v, &v->arp, ARP_RING_PAGES) == 0)
        ring_install(v, &v->arp, prog, vnet_filter_arp(prog, ip), VN_PF_SHARED, BIT_SHARED);
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        if (v->claim[i].nports && claim_install(v, &v->claim[i]) == 0)
            v->moved++;
}

/* DHCP's filter: wanted while lwIP's client is neither off nor bound. */
static void dhcp_sync(struct netif *netif)
{
    struct vnetif *v = netif->state;
    const struct dhcp *d = netif_dhcp_data(netif);
    if (v->dhcp.filter > 0 && (!d || d->state == DHCP_STATE_OFF || d->state == DHCP_STATE_BOUND))
        ring_uninstall(v, &v->dhcp);
}

static const struct vn_rxslot *ring_slot(const struct vnetif_ring *r, uint32_t i)
{
    i %= r->nslots;
    return (const struct vn_rxslot *)((uintptr_t)r->hdr + PAGE_SIZE * (1 + i / VN_RX_SLOTS_PER_PAGE) +
                                      VN_RX_SLOT * (i % VN_RX_SLOTS_PER_PAGE));
}

static int ring_pending(const struct vnetif_ring *r)
{
    return r->hdr && __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE) != r->hdr->tail;
}

/* Copy the ring's frames into pool pbufs, in order, handing each slot
 * back at once, while q (a FIFO of VNETIF_BATCH pbufs, *qt filled) and
 * the pool have room; a frame the pool has no room for stays in the ring. */
static void ring_take(struct vnetif_ring *r, struct pbuf **q, unsigned qh, unsigned *qt)
{
    uint32_t tail = r->hdr->tail, head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
    for (; tail != head && *qt - qh < VNETIF_BATCH; tail++) {
        const struct vn_rxslot *s = ring_slot(r, tail);
        uint16_t len = s->len;
        struct pbuf *p = NULL;
        if (len <= VN_FRAME_MAX && !(p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL))) {
            LINK_STATS_INC(link.memerr);
            break;
        }
        if (p)
            pbuf_take(p, s->data, len);
        __atomic_store_n(&r->hdr->tail, tail + 1, __ATOMIC_RELEASE);
        if (p) {
            LINK_STATS_INC(link.recv);
            q[(*qt)++ % VNETIF_BATCH] = p;
        }
    }
}

/* Feed the ring's frames to lwIP, VNETIF_FEED at a time, taking what
 * arrived meanwhile out of the ring before each bite: in a burst the
 * kernel finds the ring empty while lwIP works through the backlog in
 * pbufs.  Stops when both are empty, or after VNETIF_POLL_MAX frames so
 * that timers run. */
static int ring_drain(struct netif *netif, struct vnetif_ring *r)
{
    struct pbuf *q[VNETIF_BATCH];
    unsigned qh = 0, qt = 0;
    if (!r->hdr)
        return 0;
    for (;;) {
        if (qt < VNETIF_POLL_MAX)
            ring_take(r, q, qh, &qt);
        if (qh == qt)
            break;
        for (unsigned k = 0; k < VNETIF_FEED && qh != qt; k++) {
            struct pbuf *p = q[qh++ % VNETIF_BATCH];
            if (netif->input(p, netif) != ERR_OK)
                pbuf_free(p);
        }
    }
    return (int)qt;
}

/* The filter to send frame f (len bytes) through: the one whose traffic
 * it is.  A DHCP client's frame installs DHCP's filter if it is not.
 * Returns -1 if no filter of ours covers it. */
static capref_t tx_filter(struct netif *netif, const uint8_t *f, size_t len)
{
    struct vnetif *v = netif->state;
    const struct eth_hdr *eh = (const struct eth_hdr *)f;
    if (eh->type == PP_HTONS(ETHTYPE_ARP))
        return v->arp.filter;
    if (eh->type != PP_HTONS(ETHTYPE_IP) || len < SIZEOF_ETH_HDR + IP_HLEN)
        return -1;
    uint8_t proto = f[SIZEOF_ETH_HDR + 9];
    unsigned ihl = (f[SIZEOF_ETH_HDR] & 0xfu) * 4u;
    uint16_t sport = 0, dport = 0;
    if (proto == PROTO_TCP || proto == PROTO_UDP) {
        if (len < SIZEOF_ETH_HDR + ihl + 4)
            return -1;
        sport = (uint16_t)(f[SIZEOF_ETH_HDR + ihl] << 8 | f[SIZEOF_ETH_HDR + ihl + 1]);
        dport = (uint16_t)(f[SIZEOF_ETH_HDR + ihl + 2] << 8 | f[SIZEOF_ETH_HDR + ihl + 3]);
    }
    if (proto == PROTO_UDP && sport == 68 && dport == 67) {
        struct vn_pf_insn prog[VN_PF_MAX_INSNS];
        if (v->dhcp.filter <= 0)
            ring_open(v, &v->dhcp, DHCP_RING_PAGES, prog, vnet_filter_dhcp(prog), VN_PF_SHARED, BIT_SHARED);
        return v->dhcp.filter;
    }
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++) {
        const struct vnetif_claim *c = &v->claim[i];
        for (unsigned k = 0; ring_live(&c->ring) && k < c->nports; k++)
            if (vnet_port_covers(&c->ports[k], proto, sport))
                return c->ring.filter;
    }
    return -1;
}

static err_t vnetif_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct vnetif *v = netif->state;
    if (p->tot_len > VN_FRAME_MAX || p->tot_len < SIZEOF_ETH_HDR)
        return ERR_ARG;
    addr_sync(netif);
    u16_t len = pbuf_copy_partial(p, v->tx, p->tot_len, 0);
    if (len < ETH_MIN_FRAME) {
        memset(v->tx + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    capref_t f = tx_filter(netif, v->tx, len);
    if (f <= 0) {
        v->tx_unowned++;
        LINK_STATS_INC(link.err);
        return ERR_IF;
    }
    long e;
    for (int i = 0; (e = vnet_home_send(v, f, v->tx, len)) == -E_AGAIN && i < VNETIF_TX_TRIES; i++) {
        v->tx_again++;
        vn_notify_wait(v->notify, VNETIF_TX_WAIT_NS);  /* the device completes frames meanwhile */
    }
    if (e < 0) {
        v->tx_lost += e == -E_AGAIN;
        LINK_STATS_INC(link.err);
        return ERR_IF;
    }
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

static void rings_reset(struct vnetif *v)
{
    struct vnetif_ring none = {.pages = -1, .filter = -1, .grant = -1};
    v->arp = v->dhcp = none;
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        v->claim[i] = (struct vnetif_claim){.ring = none};
}

static void rings_close(struct vnetif *v)
{
    ring_close(v, &v->arp);
    ring_close(v, &v->dhcp);
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++) {
        ring_close(v, &v->claim[i].ring);
        v->claim[i].nports = 0;
    }
}

err_t vnetif_init(struct netif *netif)
{
    struct vnetif *v = netif->state;
    struct vn_netinfo info;
    v->notify = -1;
    v->addr = 0;
    v->dns = 0;
    rings_reset(v);
    unsigned ring_pages = v->ring_pages ? v->ring_pages : VNETIF_RING_PAGES;
    if (v->nports > VNETIF_PORTS_MAX || ring_pages < 2 || ring_pages > VN_RING_PAGES_MAX)
        return ERR_ARG;
    if (vnet_home_open(v, &info) < 0)
        return ERR_IF;
    long e = v->word > 0 ? v->word : vn_notify_create();
    if (e < 0)
        return ERR_MEM;
    v->notify = (capref_t)e;
    if (v->nports) {
        struct vnetif_claim *c = &v->claim[0];
        memcpy(c->ports, v->ports, v->nports * sizeof(*v->ports));
        c->nports = v->nports;
        e = ring_alloc(v, &c->ring, ring_pages);
    }
    uint32_t ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif)));
    if (e >= 0 && ip) {
        addr_sync(netif);
        if (!ring_live(&v->arp) || (v->nports && !ring_live(&v->claim[0].ring)))
            e = -E_EXIST;
    }
    if (e < 0) {
        rings_close(v);
        vnet_home_close(v);
        if (v->word <= 0)
            vn_cap_delete(v->notify);
        v->notify = -1;
        return e == -E_NOMEM || e == -E_QUOTA ? ERR_MEM : ERR_IF;
    }
    netif->name[0] = 'v';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = vnetif_linkoutput;
    netif->mtu = info.mtu ? info.mtu : 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, info.mac, ETH_HWADDR_LEN);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
                   (info.flags & VN_NET_LINK_UP ? NETIF_FLAG_LINK_UP : 0);
    return ERR_OK;
}

long vnetif_claim(struct netif *netif, const struct vnetif_port *ports, unsigned n, unsigned ring_pages)
{
    struct vnetif *v = netif->state;
    struct vnetif_claim *c = NULL;
    if (n == 0 || n > VNETIF_PORTS_MAX || ring_pages < 2 || ring_pages > VN_RING_PAGES_MAX)
        return -E_INVAL;
    addr_sync(netif);
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++) {     /* a kept ring of the size, else any */
        struct vnetif_claim *k = &v->claim[i];
        if (!k->nports && (!c || (k->ring.npages == ring_pages && c->ring.npages != ring_pages)))
            c = k;
    }
    if (!c)
        return -E_NOSPC;
    long e = ring_alloc(v, &c->ring, ring_pages);
    if (e < 0)
        return e;
    memcpy(c->ports, ports, n * sizeof(*ports));
    c->nports = n;
    if (v->addr && (e = claim_install(v, c)) < 0) {
        c->nports = 0;
        return e;
    }
    return c - v->claim;
}

void vnetif_unclaim(struct netif *netif, long id)
{
    struct vnetif *v = netif->state;
    if (id < 0 || id >= VNETIF_CLAIMS_MAX || !v->claim[id].nports)
        return;
    ring_uninstall(v, &v->claim[id].ring);
    v->claim[id].nports = 0;
}

bool vnetif_owns(const struct netif *netif, uint8_t proto, uint16_t port)
{
    const struct vnetif *v = netif->state;
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        for (unsigned k = 0; ring_live(&v->claim[i].ring) && k < v->claim[i].nports; k++)
            if (vnet_port_covers(&v->claim[i].ports[k], proto, port))
                return true;
    return false;
}

int vnetif_poll(struct netif *netif)
{
    struct vnetif *v = netif->state;
    addr_sync(netif);
    int n = ring_drain(netif, &v->arp) + ring_drain(netif, &v->dhcp);
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        n += ring_drain(netif, &v->claim[i].ring);
    dhcp_sync(netif);
    return n;
}

void vnetif_wait(struct netif *netif)
{
    struct vnetif *v = netif->state;
    if (ring_pending(&v->arp) || ring_pending(&v->dhcp))
        return;
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        if (ring_pending(&v->claim[i].ring))
            return;
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == 0)
        return;
    /* Bits set since the last wait (a frame we have already taken) only
     * make this return early once. */
    vn_notify_wait(v->notify, ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : (uint64_t)ms * 1000000);
}

static uint64_t ring_dropped(const struct vnetif_ring *r)
{
    return r->hdr ? r->hdr->dropped : 0;
}

uint64_t vnetif_rx_dropped(const struct vnetif *v)
{
    uint64_t n = ring_dropped(&v->arp) + ring_dropped(&v->dhcp);
    for (unsigned i = 0; i < VNETIF_CLAIMS_MAX; i++)
        n += ring_dropped(&v->claim[i].ring);
    return n;
}

void vnetif_close(struct netif *netif)
{
    struct vnetif *v = netif->state;
    netif_remove(netif);
    rings_close(v);
    vnet_home_close(v);
    if (v->notify > 0 && v->word <= 0)
        vn_cap_delete(v->notify);
    v->notify = -1;
}

void vnetif_dhcp_option(const struct dhcp *dhcp, uint8_t msg_type, uint8_t option, uint8_t len, struct pbuf *p,
                        uint16_t off)
{
    uint32_t a;
    struct netif *n;
    if (msg_type != DHCP_ACK || option != DHCP_OPTION_DNS_SERVER || len < 4 || pbuf_copy_partial(p, &a, 4, off) != 4)
        return;
    NETIF_FOREACH(n)                /* the client's netif (lwIP's "current" one may be another) */
        if (netif_dhcp_data(n) == dhcp && n->linkoutput == vnetif_linkoutput)
            ((struct vnetif *)n->state)->dns = a;
}
