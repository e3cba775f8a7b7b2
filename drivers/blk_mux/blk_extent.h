/*
 * The arithmetic of extents and request rings, shared by both homes of
 * the block multiplexer: the kernel's (kernel/blk.c) and the user-level
 * driver environment's (user/blkd.c).  Pure code, so that host unit tests
 * can hammer it (tests/host/test_blk_extent.c): every range check is
 * written so that no sum can wrap, and ring indices are free-running
 * 32-bit counters whose differences are taken modulo 2^32.  A request is
 * decoded in the same order in both homes: blk_req_op, then the extent's
 * capability (the home's own), then blk_req_range, then the data pages.
 */
#ifndef DRIVERS_BLK_EXTENT_H
#define DRIVERS_BLK_EXTENT_H

#include <stdbool.h>
#include <stdint.h>
#include <veneer/blk.h>
#include <veneer/errors.h>

/* A CAP_BLK's obj: the namespace's index (blk.c's table of roots) above
 * the first block.  Blocks are below 2^BLK_OBJ_SHIFT. */
#define BLK_OBJ_SHIFT 48
#define BLK_OBJ(ext, base) ((uint64_t)(ext) << BLK_OBJ_SHIFT | (base))
#define BLK_OBJ_EXT(obj)   ((unsigned)((obj) >> BLK_OBJ_SHIFT))
#define BLK_OBJ_BASE(obj)  ((obj) & ((1ull << BLK_OBJ_SHIFT) - 1))

/* Whether [off, off + n) lies inside an extent of count blocks (n >= 1). */
static inline bool blk_inside(uint64_t count, uint64_t off, uint64_t n)
{
    return n >= 1 && off < count && n <= count - off;
}

/* Whether [a, a + an) and [b, b + bn) share a block (both inside 2^64). */
static inline bool blk_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

/* Data pages a transfer of nblocks of bs bytes needs; 0 if nblocks is 0 or
 * it would need more than max. */
static inline uint32_t blk_pages_for(uint64_t nblocks, uint32_t bs, uint32_t max)
{
    if (!nblocks || !bs || nblocks > (uint64_t)max * 4096 / bs)
        return 0;
    return (uint32_t)((nblocks * bs + 4095) / 4096);
}

/* Requests waiting in a ring: tail - head, or 0 when the libOS's tail
 * makes no sense (more than nslots ahead of what the kernel took). */
static inline uint32_t blk_ring_pending(uint32_t tail, uint32_t head, uint32_t nslots)
{
    uint32_t d = tail - head;
    return d <= nslots ? d : 0;
}

/* Whether one more request may be taken: completions not yet consumed
 * (cq_head - cq_tail, nonsense when above nslots) plus those in flight
 * plus this one must fit in the nslots of the completion ring. */
static inline bool blk_cq_room(uint32_t cq_head, uint32_t cq_tail, uint32_t inflight, uint32_t nslots)
{
    uint32_t used = cq_head - cq_tail;
    return used <= nslots && inflight < nslots && used < nslots - inflight;
}

/* Whether nslots and inflight make a valid queue. */
static inline bool blk_queue_shape(uint32_t nslots, uint32_t inflight, uint32_t slots_max, uint32_t inflight_max)
{
    return nslots >= 2 && nslots <= slots_max && (nslots & (nslots - 1)) == 0 && inflight >= 1 &&
           inflight <= inflight_max && inflight < nslots;
}

/* The first decode of a ring request: op, flags and reserved words.
 * Returns 0 or -E_INVAL. */
static inline int blk_req_op(const struct vn_blk_req *r)
{
    bool rd = r->op == VN_BLK_READ, wr = r->op == VN_BLK_WRITE;
    if ((!rd && !wr && r->op != VN_BLK_FLUSH) || (r->flags & ~VN_BLK_FUA) || (r->flags && !wr) || r->rsvd[0] ||
        r->rsvd[1] || r->rsvd[2])
        return -E_INVAL;
    return 0;
}

/* The second decode of a READ or WRITE, once its extent of count blocks
 * of bs bytes is known: npages must be exactly what nblocks needs (at
 * most max_pages) and [block, block + nblocks) inside the extent.  *pages
 * gets the page count.  Returns 0, -E_INVAL (sizes) or -E_RANGE. */
static inline int blk_req_range(const struct vn_blk_req *r, uint64_t count, uint32_t bs, uint32_t max_pages,
                                uint32_t *pages)
{
    *pages = blk_pages_for(r->nblocks, bs, max_pages);
    if (!*pages || r->npages != *pages)
        return -E_INVAL;
    return blk_inside(count, r->block, r->nblocks) ? 0 : -E_RANGE;
}

#endif
