/*
 * Host unit test of the extent and request-ring arithmetic of the block
 * multiplexer (drivers/blk_mux/blk_extent.h) under ASan/UBSan: ranges at and past
 * an extent's end, sums that would wrap 2^64, overlap symmetry against a
 * brute-force model, page counts for every block size, ring indices
 * across the 2^32 wrap, nonsense tails, completion-ring room, queue shapes,
 * and the request decode both homes share (blk_req_op, blk_req_range).
 */
#include <stdio.h>
#include <stdlib.h>
#include <veneer/blk.h>
#include "blk_mux/blk_extent.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The model: the same questions answered with 128-bit sums. */
static int inside_model(uint64_t count, uint64_t off, uint64_t n)
{
    return n >= 1 && (unsigned __int128)off + n <= count;
}

int main(void)
{
    /* inside: edges and wraps */
    CHECK(blk_inside(10, 0, 10) && blk_inside(10, 9, 1) && !blk_inside(10, 10, 1) && !blk_inside(10, 9, 2));
    CHECK(!blk_inside(10, 0, 0) && !blk_inside(0, 0, 1));
    CHECK(!blk_inside(10, 1, UINT64_MAX) && !blk_inside(UINT64_MAX, UINT64_MAX, 1));
    CHECK(!blk_inside(UINT64_MAX, UINT64_MAX - 1, 2) && blk_inside(UINT64_MAX, UINT64_MAX - 1, 1));
    for (int i = 0; i < 1000000; i++) {
        uint64_t c = rnd() % 4 ? rnd() % 5000 : rnd(), o = rnd() % 4 ? rnd() % 5000 : rnd(),
                 n = rnd() % 4 ? rnd() % 5000 : rnd();
        CHECK(blk_inside(c, o, n) == inside_model(c, o, n));
    }
    /* overlap: symmetric, and right against a block-by-block model */
    for (int i = 0; i < 200000; i++) {
        uint64_t a = rnd() % 64, an = rnd() % 16, b = rnd() % 64, bn = rnd() % 16;
        int model = 0;
        for (uint64_t x = a; x < a + an; x++)
            model |= x >= b && x < b + bn;
        CHECK(blk_overlap(a, an, b, bn) == model && blk_overlap(b, bn, a, an) == model);
    }
    /* pages for a transfer */
    CHECK(blk_pages_for(1, 512, 64) == 1 && blk_pages_for(8, 512, 64) == 1 && blk_pages_for(9, 512, 64) == 2);
    CHECK(blk_pages_for(512, 512, 64) == 64 && blk_pages_for(513, 512, 64) == 0);
    CHECK(blk_pages_for(64, 4096, 64) == 64 && blk_pages_for(65, 4096, 64) == 0);
    CHECK(blk_pages_for(0, 512, 64) == 0 && blk_pages_for(UINT64_MAX, 512, 64) == 0);
    CHECK(blk_pages_for(1ull << 55, 512, 64) == 0 && blk_pages_for(1, 0, 64) == 0);
    /* object encoding */
    uint64_t obj = BLK_OBJ(5, (1ull << 48) - 1);
    CHECK(BLK_OBJ_EXT(obj) == 5 && BLK_OBJ_BASE(obj) == (1ull << 48) - 1);
    /* ring indices: free-running across the wrap */
    CHECK(blk_ring_pending(5, 3, 16) == 2 && blk_ring_pending(3, 3, 16) == 0);
    CHECK(blk_ring_pending(2, UINT32_MAX - 1, 16) == 4);       /* wrapped */
    CHECK(blk_ring_pending(19, 3, 16) == 16 && blk_ring_pending(20, 3, 16) == 0);  /* nonsense tail */
    CHECK(blk_ring_pending(2, 3, 16) == 0);                    /* behind the head */
    /* completion-ring room */
    CHECK(blk_cq_room(0, 0, 0, 16) && blk_cq_room(10, 0, 5, 16) && !blk_cq_room(11, 0, 5, 16));
    CHECK(!blk_cq_room(0, 5, 0, 16));                          /* tail ahead of head */
    CHECK(!blk_cq_room(0, 0, 16, 16) && !blk_cq_room(0, 0, 17, 16));
    CHECK(blk_cq_room(1, UINT32_MAX, 0, 16));                  /* 2 used, wrapped */
    for (int i = 0; i < 100000; i++) {
        uint32_t n = 1u << (1 + rnd() % 8), head = (uint32_t)rnd(), used = (uint32_t)(rnd() % (n + 3)),
                 inflight = (uint32_t)(rnd() % (n + 3));
        int model = used <= n && (uint64_t)used + inflight + 1 <= n;
        CHECK(blk_cq_room(head, head - used, inflight, n) == model);
    }
    /* queue shapes */
    CHECK(blk_queue_shape(16, 4, VN_BLKQ_SLOTS_MAX, VN_BLKQ_INFLIGHT_MAX) && blk_queue_shape(2, 1, 256, 32));
    CHECK(!blk_queue_shape(12, 4, 256, 32) && !blk_queue_shape(16, 16, 256, 32) && !blk_queue_shape(16, 0, 256, 32));
    CHECK(!blk_queue_shape(512, 4, 256, 32) && !blk_queue_shape(1, 1, 256, 32) && !blk_queue_shape(0, 0, 256, 32));
    CHECK(!blk_queue_shape(256, 33, 256, 32));
    CHECK(VN_BLKQ_PAGES(16) == 3 && VN_BLKQ_PAGES(256) == 6 && VN_BLKQ_PAGES(2) == 3);
    /* request decode: op, flags, reserved words */
    struct vn_blk_req r = {.op = VN_BLK_WRITE, .flags = VN_BLK_FUA, .npages = 1, .nblocks = 8, .block = 2};
    CHECK(blk_req_op(&r) == 0);
    r.op = VN_BLK_READ;
    CHECK(blk_req_op(&r) == -E_INVAL);                         /* FUA only on a write */
    r.flags = 0;
    CHECK(blk_req_op(&r) == 0);
    r.rsvd[2] = 1;
    CHECK(blk_req_op(&r) == -E_INVAL);
    r.rsvd[2] = 0;
    for (int op = 0; op < 256; op++) {
        r.op = (uint8_t)op;
        CHECK((blk_req_op(&r) == 0) == (op >= VN_BLK_READ && op <= VN_BLK_FLUSH));
    }
    /* request decode: sizes and the extent's range */
    uint32_t pages = 0;
    r.op = VN_BLK_READ;
    CHECK(blk_req_range(&r, 10, 512, 64, &pages) == 0 && pages == 1);
    r.block = 3;
    CHECK(blk_req_range(&r, 10, 512, 64, &pages) == -E_RANGE);   /* [3, 11) past 10 */
    r.npages = 2;
    CHECK(blk_req_range(&r, 100, 512, 64, &pages) == -E_INVAL);  /* npages not exact */
    r.npages = 1, r.nblocks = 0;
    CHECK(blk_req_range(&r, 100, 512, 64, &pages) == -E_INVAL);
    r.nblocks = 8, r.block = UINT64_MAX - 2;
    CHECK(blk_req_range(&r, UINT64_MAX, 512, 64, &pages) == -E_RANGE);  /* no wrap */
    printf("test_blk_extent: %d checks passed\n", checks);
    return 0;
}
