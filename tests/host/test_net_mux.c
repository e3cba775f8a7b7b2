/*
 * Host unit test of the NIC multiplexer's shared pure code
 * (drivers/net_mux/net_mux.h, both homes: kernel/net.c and user/netmux.c)
 * under ASan/UBSan: ring room across the 2^32 wrap and for nonsense
 * tails, slot fill and publish, install shapes, the reply view of ARP,
 * UDP and TCP frames (a view swapped twice is the frame), and the
 * transmit check: the NIC's source MAC, a reply the filter would take,
 * the default filter's freedom.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net_mux/net_mux.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* A UDP frame from us (source MAC m), sport -> dport. */
static size_t udp(uint8_t *f, const uint8_t *m, uint16_t sport, uint16_t dport)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, m, 6);
    put16(f + 12, 0x0800);
    f[14] = 0x45;
    f[23] = 17;
    f[26] = 10, f[29] = 15;         /* 10.0.2.15 -> 10.0.2.2 */
    f[30] = 10, f[33] = 2;
    put16(f + 34, sport);
    put16(f + 36, dport);
    return 60;
}

int main(void)
{
    /* ring room: free-running 32-bit counters */
    CHECK(net_ring_room(0, 0, 4));
    CHECK(net_ring_room(3, 0, 4));
    CHECK(!net_ring_room(4, 0, 4));
    CHECK(!net_ring_room(2, 0xfffffffeu, 4));         /* across the wrap: 4 filled, full */
    CHECK(net_ring_room(2, 0xfffffffeu, 5));
    CHECK(!net_ring_room(5, 9, 128));                 /* a tail ahead of head: full, never room */
    CHECK(!net_ring_room(0, 0x80000000u, 128));
    /* fill and publish */
    static uint8_t page[4096] __attribute__((aligned(64)));
    struct vn_rxslot *s = (struct vn_rxslot *)page;
    uint8_t f[VN_FRAME_MAX];
    memset(f, 0xab, sizeof(f));
    net_slot_fill(s, f, VN_FRAME_MAX);
    CHECK(s->len == VN_FRAME_MAX && s->flags == 0 && s->data[VN_FRAME_MAX - 1] == 0xab);
    struct vn_rxring r;
    memset(&r, 0x5a, sizeof(r));
    net_ring_reset(&r, 64);
    CHECK(r.head == 0 && r.tail == 0 && r.nslots == 64 && r.frames == 0 && r.dropped == 0);
    net_ring_publish(&r, 0, 1);
    CHECK(r.head == 1 && r.frames == 1);
    CHECK(net_ring_slots(2) == 2 && net_ring_slots(VN_RING_PAGES_MAX) == 128);
    /* frames and install shapes */
    CHECK(!net_frame_ok(13) && net_frame_ok(14) && net_frame_ok(VN_FRAME_MAX) && !net_frame_ok(VN_FRAME_MAX + 1));
    CHECK(net_filter_shape(0, 1, 2) == 0 && net_filter_shape(VN_PF_SHARED, 1, VN_RING_PAGES_MAX) == 0);
    CHECK(net_filter_shape(VN_PF_DEFAULT, 1, 3) == 0);
    CHECK(net_filter_shape(VN_PF_DEFAULT | VN_PF_SHARED, 1, 3) == -E_INVAL);
    CHECK(net_filter_shape(0x4, 1, 3) == -E_INVAL);
    CHECK(net_filter_shape(0, 0, 3) == -E_INVAL);
    CHECK(net_filter_shape(0, 1, 1) == -E_INVAL && net_filter_shape(0, 1, VN_RING_PAGES_MAX + 1) == -E_INVAL);
    /* the reply view: swapped at every layer, twice is the frame */
    uint8_t a[VN_PF_MAX_OFF], v[VN_PF_MAX_OFF], w[VN_PF_MAX_OFF];
    size_t n = udp(a, mac, 5000, 9);
    net_reply_view(a, n, v);
    CHECK(memcmp(v, a + 6, 6) == 0 && memcmp(v + 6, a, 6) == 0);
    CHECK(v[26] == 10 && v[29] == 2 && v[30] == 10 && v[33] == 15);
    CHECK(v[34] == 0 && v[35] == 9 && v[36] == 0x13 && v[37] == 0x88);
    net_reply_view(v, sizeof(v), w);
    CHECK(memcmp(w, a, 60) == 0);
    uint8_t arp[60] = {0};
    put16(arp + 12, 0x0806);
    for (int i = 0; i < 10; i++)
        arp[22 + i] = (uint8_t)i, arp[32 + i] = (uint8_t)(100 + i);
    net_reply_view(arp, 60, v);
    CHECK(v[22] == 100 && v[31] == 109 && v[32] == 0 && v[41] == 9);
    uint8_t opts[60];                                 /* IHL 15: the ports lie past the view */
    udp(opts, mac, 1, 2);
    opts[14] = 0x4f;
    net_reply_view(opts, 60, v);
    CHECK(v[34] == opts[34] && v[36] == opts[36]);
    /* transmit: a filter on UDP port 5000 */
    struct vn_pf_insn p[5] = {
        {.op = VN_PF_CMP, .size = 2, .off = 12, .fail = 4, .mask = 0xffff, .val = 0x0800},
        {.op = VN_PF_CMP, .size = 1, .off = 23, .fail = 4, .mask = 0xff, .val = 17},
        {.op = VN_PF_CMP, .size = 2, .off = 36, .fail = 4, .mask = 0xffff, .val = 5000},
        {.op = VN_PF_ACCEPT}, {.op = VN_PF_REJECT}};
    CHECK(pf_verify(p, 5) == 0);
    CHECK(net_tx_allowed(a, n, mac, false, p, 5));
    udp(a, mac, 5001, 9);
    CHECK(!net_tx_allowed(a, n, mac, false, p, 5));   /* another port */
    CHECK(net_tx_allowed(a, n, mac, true, p, 0));     /* the default filter: any frame ... */
    uint8_t other[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x57};
    udp(a, other, 5000, 9);
    CHECK(!net_tx_allowed(a, n, mac, false, p, 5));   /* ... from the NIC's address only */
    CHECK(!net_tx_allowed(a, n, mac, true, p, 0));
    printf("test_net_mux: %d checks passed\n", checks);
    return 0;
}
