/*
 * vnetif_own: lwIP on a NIC the program drives itself (see vnetif_own.h).
 * Receiving: the driver's rx upcall copies the frame into a PBUF_POOL
 * pbuf and queues it (dropped, and counted, when the pool or the queue is
 * full); vnetif_own_poll hands the queue to netif->input.  Sending:
 * linkoutput flattens the pbuf chain into one buffer, pads it to
 * Ethernet's 60 bytes and gives it to netdev_tx, which copies it into the
 * driver's TX buffer; when the TX ring is full it waits for the device's
 * interrupt (its callback reclaims the ring) a bounded number of times,
 * and a frame given up is one TCP sends again.  Waiting runs the driver's
 * callbacks, which only queue: lwIP is never re-entered from them.
 */
#include <vn.h>
#include "lwip/etharp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "home_user.h"
#include "vnetif_own.h"

#define ETH_MIN_FRAME 60

static void own_rx(void *ctx, const void *frame, size_t len)
{
    struct vnetif_own *o = ((struct netif *)ctx)->state;
    struct pbuf *p = o->rx_head - o->rx_tail < VNETIF_OWN_RXQ ? pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL) : NULL;
    if (!p) {
        o->rx_dropped++;
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    o->rxq[o->rx_head++ % VNETIF_OWN_RXQ] = p;
}

static err_t own_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct vnetif_own *o = netif->state;
    static uint8_t frame[NETDEV_FRAME_MAX];
    if (p->tot_len > NETDEV_FRAME_MAX)
        return ERR_ARG;
    u16_t len = pbuf_copy_partial(p, frame, p->tot_len, 0);
    for (; len < ETH_MIN_FRAME; len++)
        frame[len] = 0;
    for (unsigned tries = 0;; tries++) {
        int r = netdev_tx(o->nd, frame, len);
        if (r == 0)
            return ERR_OK;
        if (r != -E_AGAIN)
            return ERR_IF;
        if (tries == VNETIF_OWN_TX_TRIES) {
            o->tx_lost++;
            return ERR_OK;
        }
        o->tx_again++;
        uhome_wait(VNETIF_OWN_TX_WAIT_NS);
    }
}

err_t vnetif_own_init(struct netif *netif)
{
    struct vnetif_own *o = netif->state;
    o->rx_head = o->rx_tail = 0;
    int r = netdev_up(o->nd, own_rx, netif);
    if (r < 0)
        return r == -E_NOMEM || r == -E_NOSPC ? ERR_MEM : ERR_IF;
    netif->name[0] = 'v';
    netif->name[1] = 'o';
    netif->output = etharp_output;
    netif->linkoutput = own_linkoutput;
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, o->nd->mac, ETH_HWADDR_LEN);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
                   (o->nd->link_up ? NETIF_FLAG_LINK_UP : 0);
    return ERR_OK;
}

int vnetif_own_poll(struct netif *netif)
{
    struct vnetif_own *o = netif->state;
    uhome_poll();
    int n = 0;
    while (o->rx_tail != o->rx_head) {
        struct pbuf *p = o->rxq[o->rx_tail++ % VNETIF_OWN_RXQ];
        if (netif->input(p, netif) != ERR_OK)
            pbuf_free(p);
        n++;
    }
    return n;
}

void vnetif_own_wait(struct netif *netif)
{
    struct vnetif_own *o = netif->state;
    if (o->rx_tail != o->rx_head)
        return;
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == 0)
        return;
    uhome_wait(ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? UHOME_FOREVER : (uint64_t)ms * 1000000);
}

void vnetif_own_close(struct netif *netif)
{
    struct vnetif_own *o = netif->state;
    netif_remove(netif);
    while (o->rx_tail != o->rx_head)
        pbuf_free(o->rxq[o->rx_tail++ % VNETIF_OWN_RXQ]);
}
