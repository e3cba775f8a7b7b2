/*
 * Storage as libOSes see it: the kernel drives the disk and only checks
 * who may touch which blocks (extent capabilities); file systems, caches
 * and their crash consistency live in the libOS.
 *
 *   CAP_BLK  [base, base + count) of one namespace, CR_READ / CR_WRITE / CR_GRANT
 *   CAP_BLKQ a request queue: a ring of the opener's pages + a notification word
 *
 *   libOS: vn_blk_req in SQ[sq_tail % n], sq_tail++ --blk_doorbell-->
 *   kernel: each new request checked once (extent, range, page rights),
 *           pages pinned and mapped for the device, submitted
 *   device done --> kernel: pages unmapped and unpinned, vn_blk_cpl in
 *           CQ[cq_head % n], cq_head++, notify(bits)
 *
 * The first environment receives the root extent of every namespace in
 * the slots from vn_sysinfo.blk_cap on (vn_sysinfo.nblk of them; -1 and 0:
 * no disk).  blk_derive makes a sub-range with fewer rights; cap_grant and
 * cap_revoke work as for pages.  A request whose extent was revoked while
 * it was in flight still completes; until it has, no request overlapping
 * its blocks is accepted (-E_BUSY) and blk_derive refuses an overlapping
 * range (-E_BUSY), so the blocks are never someone else's while the old
 * holder's DMA can still land.  See docs/storage.md.
 */
#ifndef VENEER_BLK_H
#define VENEER_BLK_H

#include <stdint.h>

/* ---- the request ring: the opener's pages, shared with the kernel
 *
 *   page 0            struct vn_blkq_hdr (indices, counters)
 *   pages 1 ..        nslots submission entries, 64 bytes each (64 a page)
 *   then              nslots completion entries, 16 bytes each (256 a page)
 *
 * The libOS writes requests at sq_tail and advances it; the kernel takes
 * them from its own sq_head (the page's copy is only a report).  The
 * kernel posts completions at its cq_head; the libOS consumes from
 * cq_tail.  The kernel takes a request only while the completion ring has
 * room for it and everything in flight (cq_head - cq_tail + inflight <
 * nslots), so a completion never overwrites one not yet consumed; a tail
 * that makes no sense (ahead of the head, or more than nslots behind) is
 * treated as no room and no requests.  Requests the kernel could not take
 * (device queue full, in-flight limit) stay in the ring and are taken, in
 * round-robin among queues, as the device completes others; ring the
 * doorbell again after consuming completions when it stopped for room. */
#define VN_BLKQ_SLOTS_MAX    256    /* a power of two */
#define VN_BLKQ_INFLIGHT_MAX 32     /* requests of one queue in the device at once */
#define VN_BLKQ_SQ_PER_PAGE  64
#define VN_BLKQ_CQ_PER_PAGE  256
#define VN_BLK_PAGES_MAX     64     /* data pages of one request (256 KiB) */
#define VN_BLKQ_PAGES(n)     (1 + ((n) + VN_BLKQ_SQ_PER_PAGE - 1) / VN_BLKQ_SQ_PER_PAGE + \
                              ((n) + VN_BLKQ_CQ_PER_PAGE - 1) / VN_BLKQ_CQ_PER_PAGE)

enum vn_blk_op {
    VN_BLK_READ = 1,            /* blocks -> pages (the pages' capability needs CR_WRITE) */
    VN_BLK_WRITE = 2,           /* pages -> blocks (CR_READ on the pages, CR_WRITE on the extent) */
    VN_BLK_FLUSH = 3,           /* everything completed before is durable (CR_WRITE on the extent) */
};
#define VN_BLK_FUA 0x1          /* write: durable once it completes */

struct vn_blk_req {
    uint64_t id;                /* the libOS's, echoed in the completion */
    uint8_t op;                 /* enum vn_blk_op */
    uint8_t flags;              /* VN_BLK_FUA */
    uint16_t npages;            /* data pages: exactly ceil(nblocks * block size / 4096) */
    int32_t extent;             /* capref of the CAP_BLK */
    uint64_t block;             /* first block, relative to the extent's base */
    uint32_t nblocks;           /* READ/WRITE: 1.. */
    int32_t pages;              /* capref of the CAP_PAGE holding the data */
    uint64_t page_index;        /* first data page within that capability */
    uint64_t rsvd[3];           /* 0 */
};

_Static_assert(sizeof(struct vn_blk_req) == 64, "vn_blk_req ABI");

struct vn_blk_cpl {
    uint64_t id;                /* the request's */
    int32_t status;             /* 0, or a negative E_* code (nothing reached the disk unless -E_IO) */
    uint32_t rsvd;
};

_Static_assert(sizeof(struct vn_blk_cpl) == 16, "vn_blk_cpl ABI");

struct vn_blkq_hdr {
    volatile uint32_t sq_tail;  /* libOS: requests written */
    volatile uint32_t sq_head;  /* kernel: requests taken (report) */
    volatile uint32_t cq_tail;  /* libOS: completions consumed */
    volatile uint32_t cq_head;  /* kernel: completions posted */
    uint32_t nslots;            /* set at open */
    uint32_t inflight;          /* kernel: requests in the device now */
    volatile uint64_t taken, refused;   /* kernel: requests taken; completions with an error */
};

/* What blk_queue opens. */
struct vn_blkq_req {
    int32_t ring;               /* capref of the ring's pages (CR_WRITE): VN_BLKQ_PAGES(nslots) at least */
    int32_t notify;             /* capref of the notification word (CR_WRITE) */
    uint64_t bits;              /* signalled on each completion */
    uint32_t nslots;            /* ring entries: a power of two, 2..VN_BLKQ_SLOTS_MAX */
    uint32_t inflight;          /* at most this many in the device: 1..VN_BLKQ_INFLIGHT_MAX, < nslots */
};

_Static_assert(sizeof(struct vn_blkq_req) == 24, "vn_blkq_req ABI");

/* What blk_info reports about an extent. */
struct vn_blkinfo {
    uint64_t base;              /* first block in the namespace */
    uint64_t count;             /* blocks */
    uint64_t ns_blocks;         /* the namespace's size */
    uint32_t block_size;        /* bytes */
    uint32_t nsid;              /* the device's namespace id */
    uint32_t flags;             /* VN_BLK_* */
    uint32_t draining;          /* requests of revoked extents still in the device (anywhere) */
    uint64_t requests, errors;  /* the device's, since boot */
};

_Static_assert(sizeof(struct vn_blkinfo) == 56, "vn_blkinfo ABI");

#define VN_BLK_VOLATILE_CACHE 0x1  /* completed writes need a FLUSH (or FUA) to be durable */

#endif
