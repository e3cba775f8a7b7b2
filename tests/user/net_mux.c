/*
 * The network multiplexer against hostile libOSes, with raw frames and
 * QEMU's user networking (slirp: gateway 10.0.2.2, which answers ARP and
 * ping).  Filters claim traffic; a frame reaches only its owner's ring;
 * overlapping claims are refused unless one capability derives from the
 * other (then the derived one wins); sending is checked against what the
 * sender's filter would receive back; a full ring drops and counts; a
 * filter dies with its capability or its environment.
 *
 * mode 0: the test.  mode 1: a child that installs a filter through the
 * NIC capability in its slot 1 and exits (its filter must go with it).
 */
#include <veneer/net.h>
#include "check.h"

int main(uint64_t mode, uint64_t arg1);

#define IP_ME   0x0a00020fu    /* 10.0.2.15 */
#define IP_GW   0x0a000202u    /* 10.0.2.2 */

static uint8_t mac_me[6], mac_gw[6];

struct ring {
    capref_t pages, filter, word;
    volatile struct vn_rxring *hdr;
    uint32_t nslots;
};

/* ---- frames */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += get16(p + i);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, type);
}

static size_t arp_request(uint8_t *f, uint32_t sender, uint32_t target)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memset(f, 0, 60);
    eth(f, bcast, mac_me, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, mac_me, 6);
    put32(f + 28, sender);
    put32(f + 38, target);
    return 60;
}

/* An IPv4 header for proto from src to dst with payload len. */
static void ipv4(uint8_t *f, uint8_t proto, uint32_t src, uint32_t dst, size_t len)
{
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + len));
    ip[8] = 64;
    ip[9] = proto;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(ip + 10, csum(ip, 20));
}

static size_t icmp_echo(uint8_t *f, uint16_t seq)
{
    memset(f, 0, 98);
    eth(f, mac_gw, mac_me, 0x0800);
    ipv4(f, 1, IP_ME, IP_GW, 64);
    uint8_t *ic = f + 34;
    ic[0] = 8;
    put16(ic + 4, 0x1234);
    put16(ic + 6, seq);
    for (int i = 8; i < 64; i++)
        ic[i] = (uint8_t)i;
    put16(ic + 2, csum(ic, 64));
    return 98;
}

static size_t udp(uint8_t *f, const uint8_t *src_mac, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    memset(f, 0, 60);
    eth(f, mac_gw, src_mac, 0x0800);
    ipv4(f, 17, src, dst, 8 + 4);
    put16(f + 34, sport);
    put16(f + 36, dport);
    put16(f + 38, 12);
    memcpy(f + 42, "ping", 4);
    return 60;
}

/* ---- filters */

static unsigned n_insn;
static struct vn_pf_insn prog[VN_PF_MAX_INSNS];

static void cmp(uint8_t size, uint16_t off, uint32_t val)
{
    prog[n_insn++] = (struct vn_pf_insn){.op = VN_PF_CMP, .size = size, .off = off,
                                         .mask = size == 4 ? ~0u : (1u << (8 * size)) - 1, .val = val};
}

/* Close the current (only) term: its CMPs fail to the final REJECT. */
static unsigned finish(void)
{
    for (unsigned i = 0; i < n_insn; i++)
        prog[i].fail = (uint16_t)(n_insn + 1);
    prog[n_insn++] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    prog[n_insn++] = (struct vn_pf_insn){.op = VN_PF_REJECT};
    unsigned n = n_insn;
    n_insn = 0;
    return n;
}

static unsigned arp_filter(void)
{
    cmp(2, 12, 0x0806);
    cmp(4, 38, IP_ME);
    return finish();
}

static unsigned icmp_filter(void)
{
    cmp(2, 12, 0x0800);
    cmp(1, 14, 0x45);
    cmp(1, 23, 1);
    cmp(4, 30, IP_ME);
    return finish();
}

static unsigned udp_filter(uint16_t port)
{
    cmp(2, 12, 0x0800);
    cmp(1, 14, 0x45);
    cmp(1, 23, 17);
    cmp(4, 30, IP_ME);
    cmp(2, 36, port);
    return finish();
}

/* vnetif's DHCP filter: UDP from 67 to 68, to any address. */
static unsigned dhcp_filter(void)
{
    cmp(2, 12, 0x0800);
    cmp(1, 14, 0x45);
    cmp(1, 23, 17);
    cmp(4, 34, 67u << 16 | 68);
    return finish();
}

/* Install the program just built through nic on a fresh ring of npages. */
static long ring_open(struct ring *r, capref_t nic, unsigned n, unsigned flags, uint64_t npages)
{
    long p = vn_page_alloc(CAP_SELF, 0, npages), w = vn_notify_create();
    if (p < 0 || w < 0)
        return p < 0 ? p : w;
    uint64_t va = vn_va_reserve(npages);
    struct vn_map_entry m[VN_RING_PAGES_MAX];
    for (uint64_t i = 0; i < npages; i++)
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, (capref_t)p, VM_PROT_WRITE, i};
    if (vn_page_map(CAP_SELF, m, npages) != (long)npages)
        return -E_NOMEM;
    struct vn_filter_req q = {.prog = (uint64_t)prog, .n = n, .flags = flags, .ring = (capref_t)p,
                              .notify = (capref_t)w, .bits = 1};
    long f = vn_net_filter(nic, &q);
    *r = (struct ring){.pages = (capref_t)p, .filter = (capref_t)f, .word = (capref_t)w,
                       .hdr = (volatile struct vn_rxring *)va, .nslots = (uint32_t)(npages - 1) * 2};
    if (f < 0) {
        vn_cap_delete((capref_t)p);
        vn_cap_delete((capref_t)w);
    }
    return f;
}

static void ring_close(struct ring *r)
{
    vn_cap_delete(r->filter);
    vn_cap_delete(r->pages);
    vn_cap_delete(r->word);
}

/* The next frame in r within ms milliseconds (its length), or 0. */
static unsigned ring_next(struct ring *r, uint8_t *out, unsigned ms)
{
    uint64_t until = vn_clock_ns() + ms * 1000000ul;
    while (r->hdr->head == r->hdr->tail) {
        if (vn_clock_ns() >= until)
            return 0;
        vn_notify_wait(r->word, 10000000ul);
    }
    uint32_t i = r->hdr->tail % r->nslots;
    const struct vn_rxslot *s = (const void *)((uintptr_t)r->hdr + PAGE_SIZE * (1 + i / 2) + VN_RX_SLOT * (i % 2));
    unsigned len = s->len;
    memcpy(out, s->data, len);
    r->hdr->tail++;
    return len;
}

static int child(capref_t nic)
{
    struct ring r;
    unsigned n = udp_filter(7777);
    return ring_open(&r, nic, n, 0, 2) > 0 ? 0 : 1;     /* exits holding it */
}

int main(uint64_t mode, uint64_t arg1)
{
    (void)arg1;
    if (mode == 1)
        return child(VN_CAP_SPAWN_SHARE);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t nic = (capref_t)vn_sysinfo->net_cap;
    CHECK(nic > 0);
    struct vn_netinfo ni;
    CHECK_EQ(vn_net_info(nic, &ni), 0);
    static const uint8_t qemu_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    CHECK(memcmp(ni.mac, qemu_mac, 6) == 0);
    memcpy(mac_me, ni.mac, 6);
    uint32_t filters0 = ni.filters;
    uint8_t f[VN_FRAME_MAX], in[VN_FRAME_MAX];

    /* ARP: a shared filter for ARP asking or answering for our address. */
    struct ring arp, arp2;
    CHECK(ring_open(&arp, nic, arp_filter(), VN_PF_SHARED, 3) > 0);
    CHECK(ring_open(&arp2, nic, arp_filter(), VN_PF_SHARED, 3) > 0);      /* shared: both may */
    CHECK_EQ(vn_net_send(arp.filter, f, arp_request(f, IP_ME, IP_GW)), 0);
    unsigned len = ring_next(&arp, in, 2000);
    CHECK(len >= 42 && get16(in + 12) == 0x0806 && get16(in + 20) == 2 && get32(in + 28) == IP_GW);
    memcpy(mac_gw, in + 22, 6);
    CHECK(ring_next(&arp2, in, 2000) >= 42);                                /* a copy for each */
    ring_close(&arp2);
    /* Not as another address: the reply would not be ours. */
    CHECK_EQ(vn_net_send(arp.filter, f, arp_request(f, IP_ME + 1, IP_GW)), -E_PERM);

    /* Ping the gateway through an ICMP filter. */
    struct ring icmp;
    CHECK(ring_open(&icmp, nic, icmp_filter(), 0, 2) > 0);
    CHECK_EQ(vn_net_send(icmp.filter, f, icmp_echo(f, 1)), 0);
    len = ring_next(&icmp, in, 2000);
    CHECK(len >= 98 && in[23] == 1 && in[34] == 0 && get16(in + 40) == 1);

    /* Overlaps: refused on the same capability and between siblings;
     * allowed (and winning) through a capability derived from it. */
    struct ring tmp;
    CHECK_EQ(ring_open(&tmp, nic, icmp_filter(), 0, 2), -E_EXIST);
    long s1 = vn_cap_derive(nic, CR_READ | CR_WRITE | CR_GRANT), s2 = vn_cap_derive(nic, CR_READ | CR_WRITE | CR_GRANT);
    CHECK(s1 > 0 && s2 > 0);
    struct ring u1, u2, over;
    CHECK(ring_open(&u1, (capref_t)s1, udp_filter(5000), 0, 2) > 0);
    CHECK_EQ(ring_open(&tmp, (capref_t)s2, udp_filter(5000), 0, 2), -E_EXIST);  /* a sibling's */
    CHECK(ring_open(&u2, (capref_t)s2, udp_filter(5001), 0, 2) > 0);
    long sub = vn_cap_derive(nic, CR_WRITE);
    CHECK(sub > 0);
    CHECK(ring_open(&over, (capref_t)sub, icmp_filter(), 0, 2) > 0);        /* derived from icmp's */
    CHECK_EQ(vn_net_send(icmp.filter, f, icmp_echo(f, 2)), 0);
    CHECK(ring_next(&over, in, 2000) >= 98);                                /* the derived one wins */
    CHECK_EQ(ring_next(&icmp, in, 200), 0);
    ring_close(&over);

    /* Spoofing: another port, address or MAC than the filter's. */
    static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0x99, 0x99, 0x99};
    CHECK_EQ(vn_net_send(u1.filter, f, udp(f, mac_me, IP_ME, 5001, IP_GW, 9)), -E_PERM);
    CHECK_EQ(vn_net_send(u1.filter, f, udp(f, mac_me, IP_ME + 1, 5000, IP_GW, 9)), -E_PERM);
    CHECK_EQ(vn_net_send(u1.filter, f, udp(f, other_mac, IP_ME, 5000, IP_GW, 9)), -E_PERM);
    CHECK_EQ(vn_net_send(u2.filter, f, udp(f, mac_me, IP_ME, 5000, IP_GW, 9)), -E_PERM);  /* u1's port */
    CHECK_EQ(vn_net_send(u1.filter, f, udp(f, mac_me, IP_ME, 5000, IP_GW, 9)), 0);
    CHECK_EQ(vn_net_info(nic, &ni), 0);
    CHECK(ni.tx_refused >= 5);

    /* DHCP's shared filter on two sibling stacks: both install it, neither
     * can then claim UDP 68 of an address for itself, and it takes
     * nothing else (a ping reply goes to the ICMP filter alone). */
    struct ring d1, d2;
    CHECK(ring_open(&d1, (capref_t)s1, dhcp_filter(), VN_PF_SHARED, 2) > 0);
    CHECK(ring_open(&d2, (capref_t)s2, dhcp_filter(), VN_PF_SHARED, 2) > 0);
    CHECK_EQ(ring_open(&tmp, (capref_t)s2, udp_filter(68), 0, 2), -E_EXIST);
    CHECK_EQ(ring_open(&tmp, (capref_t)s1, dhcp_filter(), 0, 2), -E_EXIST);  /* not exclusively */
    CHECK_EQ(vn_net_send(icmp.filter, f, icmp_echo(f, 3)), 0);
    CHECK(ring_next(&icmp, in, 2000) >= 98);
    CHECK_EQ(ring_next(&d1, in, 100), 0);
    CHECK_EQ(ring_next(&d2, in, 100), 0);
    /* A client's frame (68 -> 67) passes only through the DHCP filter. */
    CHECK_EQ(vn_net_send(d1.filter, f, udp(f, mac_me, 0, 68, 0xffffffffu, 67)), 0);
    CHECK_EQ(vn_net_send(u1.filter, f, udp(f, mac_me, IP_ME, 68, IP_GW, 67)), -E_PERM);
    ring_close(&d1);
    ring_close(&d2);

    /* Bad requests. */
    CHECK_EQ(vn_net_send(u1.filter, f, 13), -E_INVAL);
    CHECK_EQ(vn_net_send(u1.filter, (void *)0xffff800000000000ul, 60), -E_FAULT);
    CHECK_EQ(vn_net_send(icmp.word, f, 60), -E_TYPE);
    prog[0] = (struct vn_pf_insn){.op = VN_PF_CMP, .size = 4, .off = VN_PF_MAX_OFF - 2, .mask = ~0u, .fail = 2};
    prog[1] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    prog[2] = (struct vn_pf_insn){.op = VN_PF_REJECT};
    CHECK_EQ(ring_open(&tmp, nic, 3, 0, 2), -E_INVAL);                       /* a load past the bound */
    prog[0].off = 0;
    prog[0].fail = 0;
    CHECK_EQ(ring_open(&tmp, nic, 3, 0, 2), -E_INVAL);                       /* a backward jump */
    CHECK_EQ(ring_open(&tmp, nic, udp_filter(6000), 0, 1), -E_INVAL);       /* no slot page */
    CHECK_EQ(ring_open(&tmp, (capref_t)s1, udp_filter(6000), VN_PF_DEFAULT, 2), -E_PERM);
    long ro = vn_cap_derive(nic, CR_READ);
    CHECK_EQ(ring_open(&tmp, (capref_t)ro, udp_filter(6000), 0, 2), -E_PERM);

    /* A flood into a full ring: dropped and counted; others unaffected. */
    for (uint16_t i = 0; i < 8; i++)
        CHECK_EQ(vn_net_send(icmp.filter, f, icmp_echo(f, (uint16_t)(10 + i))), 0);
    uint64_t until = vn_clock_ns() + 1000000000ul;
    while (icmp.hdr->dropped < 4 && vn_clock_ns() < until)
        vn_notify_wait(icmp.word, 10000000ul);
    CHECK(icmp.hdr->dropped >= 4);
    CHECK_EQ(icmp.hdr->head - icmp.hdr->tail, icmp.nslots);
    CHECK_EQ(vn_net_send(arp.filter, f, arp_request(f, IP_ME, IP_GW)), 0);
    CHECK(ring_next(&arp, in, 2000) >= 42);
    icmp.hdr->tail = 12345;                                                  /* a nonsense tail: treated as full */
    CHECK_EQ(vn_net_send(icmp.filter, f, icmp_echo(f, 99)), 0);
    until = vn_clock_ns() + 200000000ul;
    while (vn_clock_ns() < until)
        vn_yield();
    CHECK_EQ(vn_net_info(nic, &ni), 0);
    CHECK(ni.rx_dropped >= 5);

    /* A stale copy of a filter capability after the original goes. */
    long copy = vn_cap_derive(u2.filter, CR_WRITE);
    CHECK(copy > 0);
    ring_close(&u2);
    CHECK_EQ(vn_net_send((capref_t)copy, f, udp(f, mac_me, IP_ME, 5001, IP_GW, 9)), -E_NOENT);

    /* A child's filter dies with it. */
    CHECK_EQ(vn_net_info(nic, &ni), 0);
    uint32_t before = ni.filters;
    capref_t kid = vn_spawn_share("net_mux", 64, 1, 0, (capref_t)s2, CR_READ | CR_WRITE);
    CHECK(kid > 0);
    CHECK_EQ(vn_wait(kid), 0);
    CHECK_EQ(vn_net_info(nic, &ni), 0);
    CHECK_EQ(ni.filters, before);

    ring_close(&icmp);
    ring_close(&u1);
    ring_close(&arp);
    CHECK_EQ(vn_net_info(nic, &ni), 0);
    CHECK_EQ(ni.filters, filters0);
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("net_mux");
}
