/*
 * vnetif: lwIP's network interface on Veneer's NIC ABI (see vnetif.h and
 * <veneer/net.h>).  Receiving: the kernel copies frames that pass a filter
 * into that filter's ring, in our pages, and ORs the filter's bit into our
 * notification word; vnetif_poll copies frames into PBUF_POOL pbufs,
 * handing their slots back (tail), ahead of giving them to netif->input.
 * vnetif_wait sleeps on the word no longer than lwIP's next timer.
 * Sending: linkoutput copies the frame into one buffer that never crosses
 * a page, pads it to Ethernet's 60 bytes and net_sends it through the
 * filter whose traffic it is (ARP through the ARP filter, the rest through
 * the IPv4 one): the kernel lets out only frames whose replies that
 * filter would receive.  When the device's queue is full (E_AGAIN) it
 * sleeps a little on the word and tries again, a bounded number of times:
 * the device drains its queue at its own pace, and a frame given up is
 * one TCP sends again.
 */
#include <vn.h>
#include "lwip/etharp.h"
#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "vnet_filter.h"
#include "vnetif.h"

#define ARP_RING_PAGES  3       /* 4 slots */
#define VNETIF_BATCH    256     /* frames taken out of a ring ahead of lwIP (PBUF_POOL_SIZE) */
#define VNETIF_FEED     16      /* frames given to lwIP between looks at the ring */
#define VNETIF_POLL_MAX 1024    /* frames one poll takes from a ring */
#define BIT_IP          0x1
#define BIT_ARP         0x2
#define ETH_MIN_FRAME   60      /* without FCS */

static void ring_close(struct vnetif_ring *r)
{
    if (r->filter > 0)
        vn_cap_delete(r->filter);
    if (r->pages > 0)
        vn_cap_delete(r->pages);        /* frees the pages, with their mapping */
    r->filter = r->pages = -1;
    r->hdr = NULL;
}

/* Allocate and map npages for a ring and install prog on it, signalling
 * bit.  Errors: negative E_* (nothing stays allocated). */
static long ring_open(struct vnetif *v, struct vnetif_ring *r, uint64_t npages, const struct vn_pf_insn *prog,
                      size_t n, unsigned flags, uint64_t bit)
{
    struct vn_map_entry m[VN_RING_PAGES_MAX];
    r->filter = -1;
    long pages = vn_page_alloc(CAP_SELF, 0, npages);
    if (pages < 0)
        return pages;
    r->pages = (capref_t)pages;
    uint64_t va = vn_va_reserve(npages);
    for (uint64_t i = 0; i < npages; i++)
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, r->pages, VM_PROT_WRITE, i};
    long e = vn_page_map(CAP_SELF, m, npages);
    struct vn_filter_req req = {.prog = (uint64_t)prog, .n = (uint32_t)n, .flags = flags, .ring = r->pages,
                                .notify = v->notify, .bits = bit};
    if (e >= 0)
        e = vn_net_filter(v->nic, &req);
    if (e < 0) {
        ring_close(r);
        return e;
    }
    r->filter = (capref_t)e;
    r->hdr = (volatile struct vn_rxring *)va;
    r->nslots = (uint32_t)(npages - 1) * VN_RX_SLOTS_PER_PAGE;
    return 0;
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

static err_t vnetif_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct vnetif *v = netif->state;
    if (p->tot_len > VN_FRAME_MAX || p->tot_len < SIZEOF_ETH_HDR)
        return ERR_ARG;
    u16_t len = pbuf_copy_partial(p, v->tx, p->tot_len, 0);
    if (len < ETH_MIN_FRAME) {
        memset(v->tx + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    const struct eth_hdr *eh = (const struct eth_hdr *)v->tx;
    capref_t f = eh->type == PP_HTONS(ETHTYPE_ARP) ? v->arp.filter : v->ip.filter;
    long e;
    for (int i = 0; (e = vn_net_send(f, v->tx, len)) == -E_AGAIN && i < VNETIF_TX_TRIES; i++) {
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

err_t vnetif_init(struct netif *netif)
{
    struct vnetif *v = netif->state;
    struct vn_netinfo info;
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    uint32_t ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif)));
    v->notify = v->ip.pages = v->ip.filter = v->arp.pages = v->arp.filter = -1;
    v->ip.hdr = v->arp.hdr = NULL;
    unsigned ring_pages = v->ring_pages ? v->ring_pages : VNETIF_RING_PAGES;
    if (!ip || v->nports > VNETIF_PORTS_MAX || ring_pages < 2 || ring_pages > VN_RING_PAGES_MAX)
        return ERR_ARG;
    if (vn_net_info(v->nic, &info) < 0)
        return ERR_IF;
    long e = v->word > 0 ? v->word : vn_notify_create();
    if (e < 0)
        return ERR_MEM;
    v->notify = (capref_t)e;
    e = ring_open(v, &v->ip, ring_pages, prog, vnet_filter_ip(prog, ip, v->ports, v->nports), 0, BIT_IP);
    if (e == 0)
        e = ring_open(v, &v->arp, ARP_RING_PAGES, prog, vnet_filter_arp(prog, ip), VN_PF_SHARED, BIT_ARP);
    if (e < 0) {
        ring_close(&v->ip);
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

int vnetif_poll(struct netif *netif)
{
    struct vnetif *v = netif->state;
    return ring_drain(netif, &v->arp) + ring_drain(netif, &v->ip);
}

void vnetif_wait(struct netif *netif)
{
    struct vnetif *v = netif->state;
    if (ring_pending(&v->ip) || ring_pending(&v->arp))
        return;
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == 0)
        return;
    /* Bits set since the last wait (a frame we have already taken) only
     * make this return early once. */
    vn_notify_wait(v->notify, ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : (uint64_t)ms * 1000000);
}

uint64_t vnetif_rx_dropped(const struct vnetif *v)
{
    return (v->ip.hdr ? v->ip.hdr->dropped : 0) + (v->arp.hdr ? v->arp.hdr->dropped : 0);
}

void vnetif_close(struct netif *netif)
{
    struct vnetif *v = netif->state;
    netif_remove(netif);
    ring_close(&v->arp);
    ring_close(&v->ip);
    if (v->notify > 0 && v->word <= 0)
        vn_cap_delete(v->notify);
    v->notify = -1;
}
