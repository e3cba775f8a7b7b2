/*
 * The user-level NIC multiplexer (user/netmux.c, net=user) against
 * hostile clients, through the calls of <veneer/netmux.h>.  Booted twice
 * (init=netmux_hostile,netmux_hostile): the first boot environment holds
 * badge 1 (CR_CONTROL on its endpoint), the second badge 2.
 *
 * badge 1: programs the verifier must refuse; bad grants, words, bits,
 *   handles and lengths; sends as another port, another MAC, across a
 *   page; a grant in use; 3,000 calls of garbage; then the ARP path end
 *   to end (the gateway's reply reaches our ring), a flood of replies
 *   into the full ring and a nonsense tail (dropped and counted), and
 *   waits for badge 2.
 * badge 2: once badge 1's port filter is in (NETMUX_INFO's count), claims
 *   the same port (-E_EXIST), uses and removes badge 1's filter and grant
 *   (-E_NOENT), installs the default filter (-E_PERM), then a filter of
 *   its own, which tells badge 1 it is done.
 * netmux must answer every call, with the kernel's error codes.
 */
#include <ipc.h>
#include <veneer/net.h>
#include <veneer/netmux.h>
#include "check.h"

#define IP_ME 0x0a00020fu    /* 10.0.2.15 */
#define IP_GW 0x0a000202u    /* 10.0.2.2 */
#define PAGE  4096u

static capref_t ep;
static uint8_t mac[6];

static long call(uint64_t op, uint64_t a, uint64_t b, uint64_t c, capref_t xfer, uint64_t res[4])
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg m;
    long r = vn_call(ep, in, xfer, &m);
    if (res)
        memcpy(res, m.w, sizeof(m.w));
    return r < 0 ? r : (long)m.w[0];
}

struct pages { capref_t cap; uint8_t *va; long handle; };

/* n fresh pages, mapped, granted to netmux (handle < 0: the grant's error). */
static struct pages pages_grant(uint64_t n)
{
    struct pages p = {.cap = (capref_t)vn_page_alloc(CAP_SELF, 0, n), .handle = -1};
    uint64_t va = vn_va_reserve(n), res[4];
    struct vn_map_entry me[8];
    for (uint64_t i = 0; i < n; i++)
        me[i] = (struct vn_map_entry){va + i * PAGE, p.cap, VM_PROT_WRITE, i};
    CHECK_EQ(vn_page_map(CAP_SELF, me, n), (long)n);
    p.va = (uint8_t *)va;
    long r = call(NETMUX_GRANT, 0, 0, 0, p.cap, res);
    p.handle = r < 0 ? r : (long)res[1];
    return p;
}

static struct vn_pf_insn cmp(uint16_t off, uint8_t size, uint32_t mask, uint32_t val, uint16_t fail)
{
    return (struct vn_pf_insn){.op = VN_PF_CMP, .size = size, .off = off, .fail = fail, .mask = mask, .val = val};
}

/* Install prog[0..n) on ring r (program written where netmux reads it). */
static long filter(struct pages *r, const struct vn_pf_insn *prog, uint32_t n, unsigned flags, uint64_t bits,
                   capref_t word)
{
    uint64_t res[4];
    memcpy(r->va + NETMUX_PROG_OFF, prog, n * sizeof(*prog));
    long s = call(NETMUX_FILTER, (uint32_t)r->handle | (uint64_t)n << 32, flags, bits, word, res);
    return s < 0 ? s : (long)res[1];
}

static long udp_filter(struct pages *r, uint16_t port, capref_t word)
{
    struct vn_pf_insn p[5] = {cmp(12, 2, 0xffff, 0x0800, 4), cmp(23, 1, 0xff, 17, 4), cmp(36, 2, 0xffff, port, 4),
                              {.op = VN_PF_ACCEPT}, {.op = VN_PF_REJECT}};
    return filter(r, p, 5, 0, 1, word);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* A UDP frame from us (src MAC m) sport -> 10.0.2.2:9 at f. */
static size_t udp_frame(uint8_t *f, const uint8_t *m, uint16_t sport)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, m, 6);
    put16(f + 12, 0x0800);
    f[14] = 0x45;
    put16(f + 16, 28);
    f[22] = 64;
    f[23] = 17;
    put32(f + 26, IP_ME);
    put32(f + 30, IP_GW);
    put16(f + 34, sport);
    put16(f + 36, 9);
    put16(f + 38, 8);
    return 60;
}

static size_t arp_request(uint8_t *f)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, mac, 6);
    put32(f + 28, IP_ME);
    put32(f + 38, IP_GW);
    return 60;
}

static uint64_t filters_now(void)
{
    uint64_t res[4];
    return call(NETMUX_INFO, 0, 0, 0, -1, res) == 0 ? res[3] : 0;
}

static int first(capref_t word)
{
    uint64_t res[4];
    struct pages ring = pages_grant(3), tx = pages_grant(1), arp = pages_grant(3);
    CHECK(ring.handle >= 0 && tx.handle >= 0 && arp.handle >= 0);
    long port = udp_filter(&ring, 5000, word);      /* first: badge 2 waits for it */
    CHECK(port >= 0);
    /* Programs the verifier refuses, and bad shapes. */
    struct vn_pf_insn bad_op[2] = {{.op = 99}, {.op = VN_PF_REJECT}};
    struct vn_pf_insn back[3] = {cmp(12, 2, 0xffff, 0x0800, 0), {.op = VN_PF_ACCEPT}, {.op = VN_PF_REJECT}};
    struct vn_pf_insn far[3] = {cmp(4000, 2, 0xffff, 1, 2), {.op = VN_PF_ACCEPT}, {.op = VN_PF_REJECT}};
    struct vn_pf_insn size3[3] = {cmp(12, 3, 0xffff, 1, 2), {.op = VN_PF_ACCEPT}, {.op = VN_PF_REJECT}};
    struct vn_pf_insn noend[1] = {{.op = VN_PF_ACCEPT}};
    CHECK_EQ(filter(&arp, bad_op, 2, 0, 1, word), -E_INVAL);
    CHECK_EQ(filter(&arp, back, 3, 0, 1, word), -E_INVAL);
    CHECK_EQ(filter(&arp, far, 3, 0, 1, word), -E_INVAL);
    CHECK_EQ(filter(&arp, size3, 3, 0, 1, word), -E_INVAL);
    CHECK_EQ(filter(&arp, noend, 1, 0, 1, word), -E_INVAL);
    CHECK_EQ(filter(&arp, bad_op, 0, 0, 1, word), -E_INVAL);             /* n = 0 */
    static struct vn_pf_insn longp[VN_PF_MAX_INSNS + 1];
    for (unsigned i = 0; i <= VN_PF_MAX_INSNS; i++)
        longp[i] = i < VN_PF_MAX_INSNS ? cmp(12, 1, 0xff, 8, VN_PF_MAX_INSNS) : (struct vn_pf_insn){.op = VN_PF_REJECT};
    CHECK_EQ(filter(&arp, longp, VN_PF_MAX_INSNS + 1, 0, 1, word), -E_INVAL);
    struct vn_pf_insn arp_p[3] = {cmp(12, 2, 0xffff, 0x0806, 2), {.op = VN_PF_ACCEPT}, {.op = VN_PF_REJECT}};
    CHECK_EQ(filter(&arp, arp_p, 3, VN_PF_SHARED, 0, word), -E_INVAL);   /* no bits */
    CHECK_EQ(filter(&arp, arp_p, 3, 0x80, 1, word), -E_INVAL);           /* unknown flag */
    CHECK_EQ(filter(&arp, arp_p, 3, VN_PF_SHARED | VN_PF_DEFAULT, 1, word), -E_INVAL);
    CHECK_EQ(filter(&arp, arp_p, 3, VN_PF_SHARED, 1, -1), -E_INVAL);     /* no word */
    CHECK_EQ(filter(&arp, arp_p, 3, VN_PF_SHARED, 1, tx.cap), -E_INVAL); /* pages, not a word */
    CHECK_EQ(filter(&tx, arp_p, 3, VN_PF_SHARED, 1, word), -E_INVAL);    /* a 1-page ring */
    struct pages fake = {.va = arp.va, .handle = 63};
    CHECK_EQ(filter(&fake, arp_p, 3, VN_PF_SHARED, 1, word), -E_NOENT);  /* not granted */
    CHECK_EQ(udp_filter(&arp, 5000, word), -E_EXIST);                   /* overlaps our own */
    /* Grants: not pages, no write right; one in use. */
    CHECK_EQ(call(NETMUX_GRANT, 0, 0, 0, word, res), -E_INVAL);
    long ro = vn_cap_derive(tx.cap, CR_READ | CR_MAP | CR_GRANT);
    CHECK_EQ(call(NETMUX_GRANT, 0, 0, 0, (capref_t)ro, res), -E_INVAL);
    CHECK_EQ(call(NETMUX_UNGRANT, (uint64_t)ring.handle, 0, 0, -1, res), -E_BUSY);
    CHECK_EQ(call(NETMUX_UNGRANT, 999, 0, 0, -1, res), -E_NOENT);
    /* Sends: another port, another MAC, bad lengths and places, bad ids. */
    uint8_t other[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x57};
    size_t n = udp_frame(tx.va, mac, 5001);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, n << 32, -1, res), -E_PERM);
    n = udp_frame(tx.va, other, 5000);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, n << 32, -1, res), -E_PERM);
    n = udp_frame(tx.va, mac, 5000);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, 13ull << 32, -1, res), -E_INVAL);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, 1515ull << 32, -1, res), -E_INVAL);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, 4050 | n << 32, -1, res), -E_INVAL);  /* across a page */
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, 8192 | n << 32, -1, res), -E_INVAL);
    CHECK_EQ(call(NETMUX_SEND, 999, (uint64_t)tx.handle, n << 32, -1, res), -E_NOENT);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, 999, n << 32, -1, res), -E_NOENT);
    CHECK_EQ(call(NETMUX_SEND, (uint64_t)port, (uint64_t)tx.handle, n << 32, -1, res), 0);
    CHECK_EQ(call(77, 0, 0, 0, -1, res), -E_INVAL);
    /* A flood of garbage: netmux serves every call and goes on. */
    long odd = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t x = (uint64_t)i * 2654435761u;
        long r = call(x % 8, x >> 7, x >> 13, x >> 3, -1, res);
        odd += r == -E_DEAD || r == -E_TIMEOUT;
    }
    CHECK_EQ(odd, 0);
    /* The ARP path end to end: the gateway's reply in our ring. */
    long af = filter(&arp, arp_p, 3, VN_PF_SHARED, 2, word);
    CHECK(af >= 0);
    volatile struct vn_rxring *h = (volatile struct vn_rxring *)arp.va;
    bool got = false;
    for (int t = 0; t < 20 && !got; t++) {
        n = arp_request(tx.va);
        CHECK_EQ(call(NETMUX_SEND, (uint64_t)af, (uint64_t)tx.handle, n << 32, -1, res), 0);
        vn_notify_wait(word, 100000000);
        got = h->head != h->tail;
    }
    CHECK(got);
    const struct vn_rxslot *s = (const struct vn_rxslot *)(arp.va + PAGE);
    CHECK(got && s->len >= 42 && s->data[21] == 2);                     /* an ARP reply */
    /* A flood into a full ring is dropped and counted; a nonsense tail
     * reads as full; a sane one gives room again. */
    for (int i = 0; i < 16; i++) {
        n = arp_request(tx.va);
        CHECK_EQ(call(NETMUX_SEND, (uint64_t)af, (uint64_t)tx.handle, n << 32, -1, res), 0);
    }
    uint64_t t1 = vn_clock_ns();
    while (h->dropped == 0 && vn_clock_ns() - t1 < 2000000000ull)
        vn_notify_wait(word, 10000000);
    CHECK(h->head - h->tail == 4 && h->dropped > 0);
    uint64_t dropped = h->dropped;
    h->tail = h->head + 1000;
    for (int i = 0; i < 3; i++) {
        n = arp_request(tx.va);
        CHECK_EQ(call(NETMUX_SEND, (uint64_t)af, (uint64_t)tx.handle, n << 32, -1, res), 0);
    }
    t1 = vn_clock_ns();
    while (h->dropped == dropped && vn_clock_ns() - t1 < 2000000000ull)
        vn_notify_wait(word, 10000000);
    CHECK(h->dropped > dropped);
    printf("netmux_hostile 1: %lu frames dropped at a full ring\n", (unsigned long)h->dropped);
    h->tail = h->head;
    uint32_t head0 = h->head;
    t1 = vn_clock_ns();
    while (h->head == head0 && vn_clock_ns() - t1 < 2000000000ull) {
        n = arp_request(tx.va);
        CHECK_EQ(call(NETMUX_SEND, (uint64_t)af, (uint64_t)tx.handle, n << 32, -1, res), 0);
        vn_notify_wait(word, 100000000);
    }
    CHECK(h->head != head0);
    CHECK_EQ(call(NETMUX_UNFILTER, (uint64_t)af, 0, 0, -1, res), 0);
    CHECK_EQ(call(NETMUX_UNFILTER, (uint64_t)af, 0, 0, -1, res), -E_NOENT);
    CHECK_EQ(call(NETMUX_UNGRANT, (uint64_t)arp.handle, 0, 0, -1, res), 0);
    /* Badge 2 adds one filter when it is done. */
    uint64_t t0 = vn_clock_ns();
    while (filters_now() < 2 && vn_clock_ns() - t0 < 20000000000ull)
        vn_notify_wait(word, 10000000);
    CHECK_EQ(filters_now(), 2);
    CHECK_EQ(call(NETMUX_UNFILTER, (uint64_t)port, 0, 0, -1, res), 0);
    CHECK_EQ(filters_now(), 1);
    return check_done("netmux_hostile 1");
}

static int second(capref_t word)
{
    uint64_t res[4];
    uint64_t t0 = vn_clock_ns();
    while (filters_now() < 1 && vn_clock_ns() - t0 < 20000000000ull)
        vn_notify_wait(word, 10000000);
    struct pages ring = pages_grant(3), tx = pages_grant(1);
    CHECK(ring.handle >= 0 && tx.handle >= 0);
    CHECK_EQ(udp_filter(&ring, 5000, word), -E_EXIST);                  /* badge 1's port */
    size_t n = udp_frame(tx.va, mac, 5000);
    for (uint64_t id = 0; id < 4; id++) {                               /* badge 1's filters: not ours */
        CHECK_EQ(call(NETMUX_SEND, id, (uint64_t)tx.handle, n << 32, -1, res), -E_NOENT);
        CHECK_EQ(call(NETMUX_UNFILTER, id, 0, 0, -1, res), -E_NOENT);
    }
    CHECK_EQ(call(NETMUX_UNGRANT, 5, 0, 0, -1, res), -E_NOENT);
    struct vn_pf_insn none[1] = {{.op = VN_PF_REJECT}};
    CHECK_EQ(filter(&ring, none, 0, VN_PF_DEFAULT, 1, word), -E_PERM);   /* badge 1's alone */
    CHECK(udp_filter(&ring, 6000, word) >= 0);                          /* done: badge 1 goes on */
    return check_done("netmux_hostile 2");
}

int main(void)
{
    struct vn_capinfo ci;
    uint64_t res[4];
    ep = (capref_t)vn_envinfo->net_cap;
    if (ep < 0 || vn_cap_info(ep, &ci) < 0 || ci.type != CAP_ENDPOINT) {
        printf("netmux_hostile: no netmux endpoint (boot with net=user)\n");
        return 1;
    }
    CHECK_EQ(call(NETMUX_INFO, 0, 0, 0, -1, res), 0);
    memcpy(mac, &res[1], 6);
    CHECK_EQ(res[1] >> 48, 1500);
    capref_t word = (capref_t)vn_notify_create();
    return ci.rights & CR_CONTROL ? first(word) : second(word);
}
