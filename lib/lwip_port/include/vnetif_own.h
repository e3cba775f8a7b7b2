/*
 * vnetif_own: an lwIP network interface on a NIC the program owns
 * outright (Arrakis style): the virtio-net driver of drivers/ runs in the
 * program itself, in its user-level home (drivers/home_user.h), on a
 * device capability the kernel did not keep (drv_skip=<bus:dev.fn>).
 * There is no multiplexer: no packet filter, no kernel copy; every frame
 * the NIC receives is this stack's, and frames go out as lwIP builds them.
 *
 *   uhome_init(); uhome_attach(devcap, drivers, n, &d);   the driver's probe
 *   struct vnetif_own own = {.nd = netdev_find(0)};
 *   netif_add(&nif, &ip, &mask, &gw, &own, vnetif_own_init, ethernet_input);
 *   for (;;) { vnetif_own_poll(&nif); sys_check_timeouts(); vnetif_own_wait(&nif); }
 *
 * The driver's receive upcall only queues the frame in a pbuf; lwIP gets
 * it in vnetif_own_poll, outside the driver, so that lwIP's sends never
 * run inside the driver's interrupt callback.
 */
#ifndef LWIP_PORT_VNETIF_OWN_H
#define LWIP_PORT_VNETIF_OWN_H

#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netdev.h"

#define VNETIF_OWN_RXQ      128     /* frames queued between the driver and lwIP */
#define VNETIF_OWN_TX_TRIES 50      /* a full TX ring: tries, each after waiting ... */
#define VNETIF_OWN_TX_WAIT_NS 100000 /* ... up to 100 us for the device */

struct vnetif_own {
    struct netdev *nd;              /* set by the caller: the NIC, probed, not up */
    struct pbuf *rxq[VNETIF_OWN_RXQ];
    unsigned rx_head, rx_tail;      /* rxq[tail % N] .. rxq[head % N]: waiting for lwIP */
    uint64_t rx_dropped;            /* no pbuf or a full queue */
    uint64_t tx_again;              /* the TX ring was full, and we waited */
    uint64_t tx_lost;               /* ... still full after VNETIF_OWN_TX_TRIES (TCP resends) */
};

/* netif_add's init function; netif->state is the struct vnetif_own.  Brings
 * the NIC up (queues, interrupts, receive buffers).  Errors: ERR_IF (the
 * device refused), ERR_MEM (no memory or interrupt vector). */
err_t vnetif_own_init(struct netif *netif);
/* Run the driver's callbacks (no syscall), then feed every queued frame to
 * netif->input; returns how many. */
int vnetif_own_poll(struct netif *netif);
/* Sleep until the NIC interrupts or lwIP's next timer is due (at once if
 * frames are queued or a timer is due). */
void vnetif_own_wait(struct netif *netif);
/* netif_remove, and drop the queued frames (the caller detaches the device). */
void vnetif_own_close(struct netif *netif);

#endif
