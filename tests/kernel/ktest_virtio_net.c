/*
 * Kernel self-test of the virtio-net driver (ktest=virtio_net), against
 * QEMU's user networking (slirp: gateway 10.0.2.2, DHCP hands out
 * 10.0.2.15): the NIC comes up with QEMU's default MAC, an ARP request for
 * the gateway is answered, a DHCP DISCOVER gets an OFFER, a ping to the
 * gateway is echoed, and 1000 frames (an ethertype slirp drops) go out
 * through a 128-entry TX ring, so its buffers must be reclaimed.  No IOMMU
 * fault is logged for the NIC: its DMA goes through the kernel's domain
 * (q35, ACCESS_PLATFORM) or to physical addresses (the PC).  Traffic goes
 * to slirp's virtual addresses only.
 */
#include <veneer/errors.h>
#include "arch.h"
#include "console.h"
#include "iommu.h"
#include "irq.h"
#include "klib.h"
#include "ktest.h"
#include "netdev.h"
#include "pci.h"

enum want { WANT_NONE, WANT_ARP_REPLY, WANT_DHCP_OFFER, WANT_ECHO_REPLY };

static const uint8_t my_ip[4] = {10, 0, 2, 15}, gw_ip[4] = {10, 0, 2, 2};

static struct {
    enum want want;
    uint8_t mac[6], gw_mac[6];
    volatile uint64_t frames, got;  /* received; matching `want` */
    uint8_t frame[NETDEV_FRAME_MAX];    /* the last match */
    size_t len;
} kt;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint16_t cksum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += be16(p + i);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Ethernet header at f; returns where the payload goes. */
static uint8_t *eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, kt.mac, 6);
    put16(f + 12, type);
    return f + 14;
}

/* IPv4 header (no options) at p for a payload of n bytes. */
static uint8_t *ipv4(uint8_t *p, uint8_t proto, const uint8_t *src, const uint8_t *dst, size_t n)
{
    p[0] = 0x45;
    put16(p + 2, (uint16_t)(20 + n));
    put16(p + 4, 0x1234);
    p[8] = 64;
    p[9] = proto;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    put16(p + 10, cksum(p, 20));
    return p + 20;
}

static bool is_ipv4(const uint8_t *f, size_t len, uint8_t proto)
{
    return len >= 34 && be16(f + 12) == 0x0800 && (f[14] & 0xf0) == 0x40 && f[23] == proto;
}

/* The DHCP message type option of the BOOTP message at b (n bytes), or 0. */
static unsigned dhcp_type(const uint8_t *b, size_t n)
{
    if (n < 240 || be16(b + 236) != 0x6382 || be16(b + 238) != 0x5363)
        return 0;
    for (size_t i = 240; i + 2 < n && b[i] != 255;)
        if (b[i] == 0)
            i++;
        else if (b[i] == 53)
            return b[i + 2];
        else
            i += 2u + b[i + 1];
    return 0;
}

static bool matches(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14 + (len > 14 ? (f[14] & 0xf) * 4 : 0);
    switch (kt.want) {
    case WANT_ARP_REPLY:
        return len >= 42 && be16(f + 12) == 0x0806 && be16(f + 20) == 2 && memcmp(f + 28, gw_ip, 4) == 0 &&
               memcmp(f + 38, my_ip, 4) == 0;
    case WANT_DHCP_OFFER:
        return is_ipv4(f, len, 17) && len >= (size_t)(ip - f) + 8 + 240 && be16(ip + 2) == 68 && ip[8] == 2 &&
               memcmp(ip + 12, "\x56\x4e\x45\x54", 4) == 0 && dhcp_type(ip + 8, len - (size_t)(ip + 8 - f)) == 2;
    case WANT_ECHO_REPLY:
        return is_ipv4(f, len, 1) && memcmp(f + 26, gw_ip, 4) == 0 && len >= (size_t)(ip - f) + 8 &&
               ip[0] == 0 && be16(ip + 4) == 0x7665 && be16(ip + 6) == 1;
    default:
        return false;
    }
}

/* The net layer's part: take the frame the test waits for. */
static void ktest_rx(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    kt.frames++;
    if (kt.want != WANT_NONE && matches(frame, len)) {
        memcpy(kt.frame, frame, len);
        kt.len = len;
        kt.got++;
        kt.want = WANT_NONE;
    }
}

/* Let interrupts in (halting, with a 1 ms timer) until *v reaches target
 * or ms milliseconds passed; whether it did. */
static bool wait_for(const volatile uint64_t *v, uint64_t target, unsigned ms)
{
    uint64_t end = arch_tsc() + arch_tsc_hz() / 1000 * ms;
    while (*v < target && arch_tsc() < end) {
        arch_timer_oneshot(1000000);
        arch_wait_for_kick();
        irq_deliver_pending();
    }
    arch_timer_oneshot(0);
    return *v >= target;
}

/* Send frame (padded to 60 bytes) and wait up to 2 s for what w names. */
static bool exchange(struct netdev *nd, uint8_t *f, size_t len, enum want w)
{
    uint64_t got = kt.got;
    kt.want = w;
    if (len < 60) {
        memset(f + len, 0, 60 - len);
        len = 60;
    }
    return netdev_tx(nd, f, len) == 0 && wait_for(&kt.got, got + 1, 2000);
}

static int ktest_dhcp(struct netdev *nd)
{
    static uint8_t f[14 + 20 + 8 + 548];
    static const uint8_t any[4] = {0, 0, 0, 0}, all[4] = {255, 255, 255, 255};
    memset(f, 0, sizeof(f));
    uint8_t *udp = ipv4(eth(f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0x0800), 17, any, all, 8 + 548);
    put16(udp, 68);
    put16(udp + 2, 67);
    put16(udp + 4, 8 + 548);
    uint8_t *b = udp + 8;           /* BOOTP: op, htype, hlen, hops, xid, secs, flags, 4 addresses, chaddr */
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    memcpy(b + 4, "VNET", 4);
    put16(b + 10, 0x8000);          /* broadcast the reply */
    memcpy(b + 28, kt.mac, 6);
    memcpy(b + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);  /* magic cookie, DHCPDISCOVER, end */
    CHECK(exchange(nd, f, sizeof(f), WANT_DHCP_OFFER));
    const uint8_t *yi = kt.frame + 14 + (kt.frame[14] & 0xf) * 4 + 8 + 16;
    kprintf("ktest virtio_net: DHCP offer of %u.%u.%u.%u\n", yi[0], yi[1], yi[2], yi[3]);
    CHECK(memcmp(yi, my_ip, 4) == 0);
    return 0;
}

static int ktest_ping(struct netdev *nd)
{
    static uint8_t f[14 + 20 + 8 + 32];
    memset(f, 0, sizeof(f));
    uint8_t *icmp = ipv4(eth(f, kt.gw_mac, 0x0800), 1, my_ip, gw_ip, 8 + 32);
    icmp[0] = 8;                    /* echo request, id 0x7665, seq 1 */
    put16(icmp + 4, 0x7665);
    put16(icmp + 6, 1);
    for (unsigned i = 0; i < 32; i++)
        icmp[8 + i] = (uint8_t)(i * 3);
    put16(icmp + 2, cksum(icmp, 8 + 32));
    CHECK(exchange(nd, f, sizeof(f), WANT_ECHO_REPLY));
    CHECK(kt.len >= sizeof(f) && memcmp(kt.frame + 42, icmp + 8, 32) == 0);
    kprintf("ktest virtio_net: ping 10.0.2.2: echoed\n");
    return 0;
}

/* 1000 frames slirp ignores (IEEE local experimental ethertype 0x88b5),
 * retrying when the ring is full; every buffer comes back. */
static int ktest_tx_many(struct netdev *nd)
{
    uint8_t f[60];
    memset(f, 0, sizeof(f));
    eth(f, kt.gw_mac, 0x88b5);
    uint64_t start = nd->tx_frames;
    unsigned full = 0;
    for (unsigned sent = 0; sent < 1000;) {
        f[14] = (uint8_t)sent;
        int r = netdev_tx(nd, f, sizeof(f));
        if (r == 0) {
            sent++;
            continue;
        }
        CHECK(r == -E_AGAIN);
        full++;
        CHECK(wait_for(&nd->tx_done, nd->tx_done + 1, 1000));
    }
    CHECK(nd->tx_frames == start + 1000);
    CHECK(wait_for(&nd->tx_done, nd->tx_frames, 2000));
    kprintf("ktest virtio_net: 1000 frames sent (ring full %u times), all %lu reclaimed\n", full, nd->tx_done);
    return 0;
}

int ktest_virtio_net(void)
{
    struct netdev *nd = netdev_find(0);
    const struct pci_func *f = NULL;
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (pci_func_get(i)->vendor == 0x1af4 && pci_func_get(i)->device == 0x1041)
            f = pci_func_get(i);
    CHECK(nd && f && f->kernel_owned);
    CHECK(netdev_tx(nd, "x", 1) == -E_NODEV);
    CHECK(netdev_up(nd, ktest_rx, NULL) == 0);
    CHECK(netdev_up(nd, ktest_rx, NULL) == -E_BUSY);
    memcpy(kt.mac, nd->mac, 6);
    CHECK(memcmp(kt.mac, "\x52\x54\x00\x12\x34\x56", 6) == 0 && nd->link_up);
    CHECK(netdev_tx(nd, kt.mac, NETDEV_FRAME_MIN - 1) == -E_INVAL);

    static uint8_t arp[60];
    uint8_t *a = eth(arp, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0x0806);
    memcpy(a, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);     /* Ethernet, IPv4, request */
    memcpy(a + 8, kt.mac, 6);
    memcpy(a + 14, my_ip, 4);
    memcpy(a + 24, gw_ip, 4);
    CHECK(exchange(nd, arp, 42, WANT_ARP_REPLY));
    memcpy(kt.gw_mac, kt.frame + 22, 6);
    const uint8_t *g = kt.gw_mac;
    kprintf("ktest virtio_net: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", g[0], g[1], g[2], g[3], g[4], g[5]);
    if (ktest_dhcp(nd) < 0 || ktest_ping(nd) < 0 || ktest_tx_many(nd) < 0)
        return -1;
    CHECK(nd->running && nd->rx_frames == kt.frames && nd->rx_errors == 0);
    iommu_fault_serve();
    kprintf("ktest virtio_net: %lu frames received, %lu sent; DMA %s, %lu IOMMU faults\n", nd->rx_frames,
            nd->tx_frames, iommu_covers(f->addr) ? "through the kernel's IOMMU domain" : "to physical addresses",
            iommu_fault_count(f->addr));
    CHECK(iommu_fault_count(f->addr) == 0);
    return 0;
}
