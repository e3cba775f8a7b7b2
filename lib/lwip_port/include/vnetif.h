/*
 * vnetif: an lwIP network interface on Veneer's NIC (<veneer/net.h>).
 * The interface owns one IPv4 address and a few TCP/UDP ports of it: it
 * installs a filter for IPv4 frames to that address and those ports, and
 * a shared one for ARP frames asking for the address, each with a receive
 * ring in its own pages and both signalling one notification word.
 *
 *   struct vnetif vn = {.nic = cap, .ports = ports, .nports = 2};
 *   netif_add(&nif, &ip, &mask, &gw, &vn, vnetif_init, ethernet_input);
 *   netif_set_default(&nif); netif_set_up(&nif);
 *   for (;;) { vnetif_poll(&nif); sys_check_timeouts(); vnetif_wait(&nif); }
 *
 * The address must be set at netif_add (the filter names it): DHCP cannot
 * run on a vnetif yet.
 */
#ifndef LWIP_PORT_VNETIF_H
#define LWIP_PORT_VNETIF_H

#include <veneer/cap.h>
#include <veneer/net.h>
#include "lwip/netif.h"
#include "vnet_filter.h"

#define VNETIF_RING_PAGES 33     /* 64 slots: four windows of full segments */
#define VNETIF_TX_TRIES   50       /* a full device queue: tries, ... */
#define VNETIF_TX_WAIT_NS 100000   /* ... each after sleeping 100 us (5 ms in all) */

struct vnetif_ring {
    volatile struct vn_rxring *hdr;     /* page 0 of the ring; the slots follow */
    uint32_t nslots;
    capref_t pages;             /* root capability of the ring's pages */
    capref_t filter;            /* from net_filter; frames are sent through it */
};

struct vnetif {
    /* set by the caller before netif_add */
    capref_t nic;               /* a CAP_NET with CR_WRITE */
    const struct vnetif_port *ports;
    unsigned nports;            /* <= VNETIF_PORTS_MAX */
    capref_t word;              /* a notification word of the caller's to use (0: vnetif makes one);
                                   bits other than 0x1 and 0x2 are the caller's */
    unsigned ring_pages;        /* the IPv4 ring's, 2..VN_RING_PAGES_MAX (0: VNETIF_RING_PAGES) */
    /* vnetif's own */
    capref_t notify;            /* bit 0: the IPv4 ring, bit 1: the ARP ring */
    struct vnetif_ring ip, arp;
    uint64_t tx_again;          /* net_send found the device's queue full, and we waited */
    uint64_t tx_lost;           /* ... still full after VNETIF_TX_TRIES: not sent (TCP resends) */
    uint8_t tx[VN_RX_SLOT] __attribute__((aligned(VN_RX_SLOT)));   /* a frame, within one page */
};

/* netif_add's init function; netif->state is the struct vnetif.  Installs
 * the filters and reads the MAC and MTU.  Errors: ERR_ARG (no address or
 * too many ports), ERR_MEM (no pages or words), ERR_IF (the NIC refused). */
err_t vnetif_init(struct netif *netif);
/* Feed every frame waiting in the rings to netif->input; returns how many. */
int vnetif_poll(struct netif *netif);
/* Sleep until a frame arrives or lwIP's next timer is due (at once if
 * frames are waiting or a timer is due). */
void vnetif_wait(struct netif *netif);
/* Frames the kernel dropped because a ring was full (both rings). */
uint64_t vnetif_rx_dropped(const struct vnetif *v);
/* netif_remove, then remove the filters and free the rings and the word. */
void vnetif_close(struct netif *netif);

#endif
