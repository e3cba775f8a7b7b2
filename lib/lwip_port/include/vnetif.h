/*
 * vnetif: an lwIP network interface on Veneer's NIC (<veneer/net.h>).
 * The interface owns one IPv4 address and claims only some of its
 * traffic: each claim is one filter (a few ports, aligned port ranges or
 * ICMP of the address) on a receive ring of its own pages, so claims come
 * and go without touching each other (the kernel refuses a filter that
 * overlaps one of ours, even our own: replacing a program in place is not
 * possible).  Besides the claims: a shared filter for the ARP frames
 * asking for the address, and, while lwIP's DHCP client needs it, a
 * shared one for DHCP's replies.  Every ring signals one notification word.
 *
 *   struct vnetif vn = {.nic = cap, .ports = ports, .nports = 2};   (claim 0)
 *   netif_add(&nif, &ip, &mask, &gw, &vn, vnetif_init, ethernet_input);
 *   netif_set_default(&nif); netif_set_up(&nif);
 *   id = vnetif_claim(&nif, more, 1, 17);  ...  vnetif_unclaim(&nif, id);
 *   for (;;) { vnetif_poll(&nif); sys_check_timeouts(); vnetif_wait(&nif); }
 *
 * The filters name the netif's address: when it changes (DHCP binds, or
 * netif_set_addr) vnetif moves every claim to the new one before it next
 * sends or receives.  With no address (0.0.0.0, DHCP to come) only DHCP's
 * filter can be installed; claims are kept and installed once an address
 * comes.
 */
#ifndef LWIP_PORT_VNETIF_H
#define LWIP_PORT_VNETIF_H

#include <veneer/cap.h>
#include <veneer/net.h>
#include "lwip/netif.h"
#include "vnet_filter.h"

#define VNETIF_RING_PAGES 33     /* 64 slots: four windows of full segments */
#define VNETIF_CLAIMS_MAX 40     /* IPv4 filters of one interface (netd: a socket each, and more) */
#define VNETIF_TX_TRIES   50       /* a full device queue: tries, ... */
#define VNETIF_TX_WAIT_NS 100000   /* ... each after sleeping 100 us (5 ms in all) */

struct vnetif_ring {
    volatile struct vn_rxring *hdr;     /* page 0 of the ring; the slots follow (NULL: no pages) */
    uint32_t nslots;
    uint32_t npages;
    capref_t pages;             /* root capability of the ring's pages */
    capref_t filter;            /* from net_filter (-1: none installed); frames are sent through it */
    int32_t grant;              /* netmux's handle of the pages (-1: not granted; vnetif_home.c) */
};

/* One claim: a filter over the address's traffic on these ports.  Its
 * ring stays allocated when the claim goes, for the next claim of the
 * same size (the address space is never given back). */
struct vnetif_claim {
    struct vnetif_ring ring;
    struct vnetif_port ports[VNETIF_PORTS_MAX];
    unsigned nports;            /* 0: a free entry */
};

struct vnetif {
    /* set by the caller before netif_add */
    capref_t nic;               /* a CAP_NET with CR_WRITE, or an endpoint to netmux (net=user) */
    const struct vnetif_port *ports;    /* claim 0 (nports 0: none) */
    unsigned nports;            /* <= VNETIF_PORTS_MAX */
    capref_t word;              /* a notification word of the caller's to use (0: vnetif makes one);
                                   bits other than 0x1 and 0x2 are the caller's */
    unsigned ring_pages;        /* claim 0's ring, 2..VN_RING_PAGES_MAX (0: VNETIF_RING_PAGES) */
    /* vnetif's own */
    capref_t notify;            /* bit 0: the claims' rings, bit 1: ARP's and DHCP's */
    uint32_t addr;              /* host order: the address the filters name (0: none yet) */
    struct vnetif_claim claim[VNETIF_CLAIMS_MAX];
    struct vnetif_ring arp, dhcp;
    uint32_t dns;               /* network order: the first DNS server of DHCP's last ACK, or 0 */
    uint64_t tx_again;          /* net_send found the device's queue full, and we waited */
    uint64_t tx_lost;           /* ... still full after VNETIF_TX_TRIES: not sent (TCP resends) */
    uint64_t tx_unowned;        /* no claim of ours covers the frame's source port: not sent */
    uint64_t moved;             /* claims moved to a new address */
    bool mux;                   /* the NIC is netmux's (vnetif_home.c) */
    capref_t tx_pages;          /* netmux: the page frames are sent from, granted as tx_grant */
    int32_t tx_grant;
    uint8_t *tx_page;
    uint8_t tx[VN_RX_SLOT] __attribute__((aligned(VN_RX_SLOT)));   /* a frame, within one page */
};

/* netif_add's init function; netif->state is the struct vnetif.  Reads
 * the MAC and MTU; with an address, installs the ARP filter and claim 0.
 * Errors: ERR_ARG (too many ports, a bad ring size), ERR_MEM (no pages or
 * words), ERR_IF (the NIC refused, e.g. claim 0 overlaps another's). */
err_t vnetif_init(struct netif *netif);
/* Claim the address's traffic on ports[0..n) (n <= VNETIF_PORTS_MAX) with
 * a ring of ring_pages (2..VN_RING_PAGES_MAX); installed at once if the
 * interface has an address, else when it gets one.  Returns the claim's
 * id (>= 0) or -E_EXIST (it overlaps a filter: another stack's, or one of
 * ours), -E_NOSPC (VNETIF_CLAIMS_MAX, or the kernel's table), -E_NOMEM,
 * -E_QUOTA, -E_INVAL. */
long vnetif_claim(struct netif *netif, const struct vnetif_port *ports, unsigned n, unsigned ring_pages);
/* Give claim id back (its filter goes; frames waiting in its ring are
 * dropped).  An id that is not a claim is ignored. */
void vnetif_unclaim(struct netif *netif, long id);
/* Whether an installed claim covers local port `port` of proto. */
bool vnetif_owns(const struct netif *netif, uint8_t proto, uint16_t port);
/* Feed every frame waiting in the rings to netif->input; returns how many. */
int vnetif_poll(struct netif *netif);
/* Sleep until a frame arrives or lwIP's next timer is due (at once if
 * frames are waiting or a timer is due). */
void vnetif_wait(struct netif *netif);
/* Frames the kernel dropped because a ring was full (every ring). */
uint64_t vnetif_rx_dropped(const struct vnetif *v);
/* netif_remove, then remove the filters and free the rings and the word. */
void vnetif_close(struct netif *netif);

#endif
