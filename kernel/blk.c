/*
 * The block multiplexer: extents (CAP_BLK, obj = BLK_OBJ(root index,
 * base), count = blocks) derived from one kernel-held root per namespace,
 * and request queues (CAP_BLKQ, obj = slot, count = generation) over rings
 * of the opener's pages.  docs/storage.md gives the ring, the DMA windows,
 * fairness and revocation; in short:
 *
 * Each request is copied out of its ring once and checked once (check()),
 * then its pages are pinned and mapped at its own window of I/O virtual
 * addresses until it completes.  A full device leaves requests in their
 * rings; every completion pumps the queues round-robin, bounded by
 * BLKQ_MAX * VN_BLKQ_SLOTS_MAX checks.  An extent's in-flight count lives
 * in its `bindings` word; when it goes, its requests become orphans whose
 * blocks stay busy until they complete.  A closed queue is freed with its
 * last request.
 */
#include "blk.h"
#include "blk_mux/blk_extent.h"
#include "blkdev.h"
#include "console.h"
#include "home_kernel.h"
#include "env.h"
#include "ipc.h"
#include "klib.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"

#define BLK_ROOTS     (BLKDEV_MAX * BLKDEV_NS_MAX)
#define BLK_IOVA_BASE (1ull << 38)  /* request windows, far above RAM's identity IOVAs */
#define BLK_WINDOW    ((uint64_t)VN_BLK_PAGES_MAX * PAGE_SIZE)
#define BLK_IOVA_SIZE ((uint64_t)BLKQ_MAX * VN_BLKQ_INFLIGHT_MAX * BLK_WINDOW)

struct blk_queue;

struct blk_io {                     /* one request in the device */
    struct blkdev_req req;          /* to the driver; req.ctx is this record */
    struct blk_queue *q;
    uint64_t id;
    struct cap *ext;                /* its extent; NULL once revoked (an orphan) */
    struct blk_io *orphan_next;
    uint64_t pfn;                   /* pinned data pages */
    uint16_t npages;
    bool busy;
    uint8_t root;                   /* namespace (root index), for overlap checks */
    uint32_t nblocks;
    uint64_t lba;
};
_Static_assert(sizeof(struct blk_io) * VN_BLKQ_INFLIGHT_MAX <= PAGE_SIZE, "in-flight records fit a page");

struct blk_queue {
    struct cap *cap;                /* the CAP_BLKQ naming it; NULL: closed */
    uint32_t gen;                   /* bumped at close: copies go stale */
    bool closing;                   /* closed with requests in flight */
    bool waiting;                   /* may have requests the device had no room for */
    struct env *owner;              /* its requests' caprefs are in its table */
    unsigned dev;
    uint64_t ring_pfn;
    uint32_t ring_pages, nslots, inflight, inflight_max;
    uint32_t sq_head, cq_head;      /* the kernel's own indices */
    struct notify *notify;          /* NULL once the word is gone */
    uint64_t bits;
    struct blk_queue *notify_next;
    struct blk_io *io;              /* [inflight_max] in its own page */
};

static struct {
    struct cap root[BLK_ROOTS];     /* kernel-held root extents */
    struct blkdev *dev[BLKDEV_MAX];
    struct blk_queue q[BLKQ_MAX];
    unsigned rr[BLKDEV_MAX];        /* the queue a pump serves first */
    struct blk_io *orphans;
    uint32_t norphans;
} blk;                              /* kernel lock */

static struct blkdev *root_dev(unsigned root) { return blk.dev[root / BLKDEV_NS_MAX]; }
static const struct blkdev_ns *root_ns(unsigned root)
{
    return &root_dev(root)->ns[root % BLKDEV_NS_MAX];
}

/* Make the device's I/O page tables for every request window now, so that
 * mapping a request never allocates (and the pages are the kernel's from
 * boot, not a leak).  Errors: iommu_map's. */
static int windows_prepare(struct blkdev *bd)
{
    if (!drv_kernel_translated(bd->drv))
        return 0;
    paddr_t scratch = page_alloc();
    if (!scratch)
        return -E_NOMEM;
    int r = 0;
    for (uint64_t off = 0; r == 0 && off < BLK_IOVA_SIZE; off += LARGE_PAGE_SIZE)
        if ((r = drv_kernel_dma_map(bd->drv, BLK_IOVA_BASE + off, scratch, false)) == 0)
            drv_kernel_dma_unmap(bd->drv, BLK_IOVA_BASE + off);
    page_free(scratch);
    return r;
}

void blk_init(void)
{
    struct blkdev *bd;
    for (unsigned d = 0; d < BLKDEV_MAX && (bd = blkdev_find(d)); d++) {
        int r = windows_prepare(bd);
        if (r < 0) {
            kprintf("blk: %s: no I/O page tables for request windows (%d): not shared\n", bd->name, r);
            continue;
        }
        blk.dev[d] = bd;
        for (unsigned i = 0; i < bd->nns; i++) {
            unsigned k = d * BLKDEV_NS_MAX + i;
            cap_init_kernel_root(&blk.root[k], CAP_BLK, CR_READ | CR_WRITE | CR_GRANT, BLK_OBJ(k, 0),
                                 bd->ns[i].blocks);
            kprintf("blk: %s namespace %u: %lu blocks of %u bytes, shared by extent capabilities\n", bd->name,
                    bd->ns[i].nsid, bd->ns[i].blocks, bd->ns[i].block_size);
        }
    }
}

int blk_grant_boot(struct env *e, uint64_t *n)
{
    capref_t first = -1, ref;
    *n = 0;
    for (unsigned k = 0; k < BLK_ROOTS; k++) {
        if (blk.root[k].type != CAP_BLK)
            continue;
        if (cap_derive(&blk.root[k], env_caps(e), CR_READ | CR_WRITE | CR_GRANT, &ref) < 0 ||
            (first >= 0 && CAPREF_SLOT(ref) != CAPREF_SLOT(first) + *n))
            panic("boot: cannot give the disks to the first environment");
        if (first < 0)
            first = ref;
        (*n)++;
    }
    return first;
}

void blk_info(const struct cap *c, struct vn_blkinfo *out)
{
    unsigned k = BLK_OBJ_EXT(c->obj);
    const struct blkdev *bd = root_dev(k);
    *out = (struct vn_blkinfo){.base = BLK_OBJ_BASE(c->obj), .count = c->count, .ns_blocks = root_ns(k)->blocks,
                               .block_size = root_ns(k)->block_size, .nsid = root_ns(k)->nsid,
                               .flags = bd->volatile_cache ? VN_BLK_VOLATILE_CACHE : 0,
                               .draining = blk.norphans, .requests = bd->completed, .errors = bd->failed};
}

/* Whether blocks [lba, lba + n) of root k overlap a revoked extent's
 * request still in the device. */
static bool orphan_overlap(unsigned k, uint64_t lba, uint64_t n)
{
    for (struct blk_io *o = blk.orphans; o; o = o->orphan_next)
        if (o->root == k && blk_overlap(o->lba, o->nblocks, lba, n))
            return true;
    return false;
}

int blk_derive(struct env *e, struct cap *c, uint64_t off, uint64_t n, unsigned rights, capref_t *out)
{
    if ((rights & ~(unsigned)c->rights) || (rights & ~(CR_READ | CR_WRITE | CR_GRANT)))
        return -E_PERM;
    if (n == 0)
        return -E_INVAL;
    if (!blk_inside(c->count, off, n))
        return -E_RANGE;
    uint64_t base = BLK_OBJ_BASE(c->obj) + off;
    if (orphan_overlap(BLK_OBJ_EXT(c->obj), base, n))
        return -E_BUSY;
    return cap_derive_object(c, env_caps(e), CAP_BLK, rights, BLK_OBJ(BLK_OBJ_EXT(c->obj), base), n, out);
}

/* ------------------------------------------------------------ queues */

static struct blk_queue *queue_of(const struct cap *c)
{
    struct blk_queue *q = c->obj < BLKQ_MAX ? &blk.q[c->obj] : NULL;
    return q && q->cap && q->gen == (uint32_t)c->count ? q : NULL;
}

static struct vn_blkq_hdr *hdr(struct blk_queue *q) { return P2V(q->ring_pfn * PAGE_SIZE); }

int blk_queue_open(struct env *e, struct cap *c, struct cap *ring, struct notify *notify, uint64_t bits,
                   uint32_t nslots, uint32_t inflight, capref_t *out)
{
    e = env_space(e);   /* a thread's objects are its space's (env_caps) */
    unsigned dev = BLK_OBJ_EXT(c->obj) / BLKDEV_NS_MAX;
    if (!blk_queue_shape(nslots, inflight, VN_BLKQ_SLOTS_MAX, VN_BLKQ_INFLIGHT_MAX) || !bits ||
        ring->count < VN_BLKQ_PAGES(nslots))
        return -E_INVAL;
    for (uint64_t i = 0; i < VN_BLKQ_PAGES(nslots); i++)
        if (page_info[ring->obj + i].flags & VN_PI_KERNEL)
            return -E_INVAL;
    if (!blk.dev[dev]->running)
        return -E_NODEV;
    struct blk_queue *q = NULL;
    unsigned mine = 0;
    for (unsigned i = 0; i < BLKQ_MAX; i++) {
        bool used = blk.q[i].cap || blk.q[i].closing;
        if (!used && !q)
            q = &blk.q[i];
        mine += used && blk.q[i].owner == e;
    }
    if (!q || mine >= BLKQ_PER_ENV)
        return -E_NOSPC;
    int r;
    paddr_t io = env_page_alloc(e, &r);
    if (!io)
        return r;
    if ((r = cap_derive_object(c, env_caps(e), CAP_BLKQ, CR_READ | CR_WRITE, (uint64_t)(q - blk.q), q->gen, out)) < 0) {
        env_page_free(e, io);
        return r;
    }
    /* Invoke: nothing below fails. */
    *q = (struct blk_queue){.gen = q->gen, .owner = e, .dev = dev, .ring_pfn = ring->obj,
                            .ring_pages = VN_BLKQ_PAGES(nslots), .nslots = nslots, .inflight_max = inflight,
                            .notify = notify, .bits = bits, .notify_next = notify->blkqs, .io = P2V(io)};
    env_cap_lookup(e, *out, CAP_BLKQ, 0, &q->cap);
    notify->blkqs = q;
    page_ref_range(q->ring_pfn, q->ring_pages);
    struct vn_blkq_hdr *h = hdr(q);
    memset(h, 0, sizeof(*h));
    h->nslots = nslots;
    return 0;
}

static void queue_free(struct blk_queue *q)
{
    page_unref_range(q->ring_pfn, q->ring_pages);
    page_free(V2P(q->io));
    *q = (struct blk_queue){.gen = q->gen};
}

/* Post a completion in q's ring and signal its word. */
static void post(struct blk_queue *q, uint64_t id, int status)
{
    struct vn_blkq_hdr *h = hdr(q);
    uint32_t sq_pages = (q->nslots + VN_BLKQ_SQ_PER_PAGE - 1) / VN_BLKQ_SQ_PER_PAGE;
    struct vn_blk_cpl *cpl = pfn_entry(q->ring_pfn + 1 + sq_pages, q->cq_head++ % q->nslots, VN_BLKQ_CQ_PER_PAGE,
                                       sizeof(*cpl));
    *cpl = (struct vn_blk_cpl){.id = id, .status = status};
    h->inflight = q->inflight;
    if (status < 0)
        h->refused++;
    __atomic_store_n(&h->cq_head, q->cq_head, __ATOMIC_RELEASE);
    if (q->notify)
        notify_signal(q->notify, q->bits);
}

/* Check request r of q once (decode): fill io's range and pages, or an
 * error: -E_INVAL (op, flags, sizes), -E_BADCAP/-E_TYPE/-E_PERM (a
 * capability), -E_RANGE (outside the extent or the page capability),
 * -E_BUSY (overlaps an orphan). */
static int check(struct blk_queue *q, const struct vn_blk_req *r, struct blk_io *io)
{
    struct cap *ext, *pg;
    bool rd = r->op == VN_BLK_READ;
    int s = blk_req_op(r);
    if (s < 0)
        return s;
    s = env_cap_lookup(q->owner, r->extent, CAP_BLK, rd ? CR_READ : CR_WRITE, &ext);
    if (s < 0)
        return s;
    unsigned k = BLK_OBJ_EXT(ext->obj);
    if (k / BLKDEV_NS_MAX != q->dev)
        return -E_INVAL;                /* another disk's extent */
    *io = (struct blk_io){.q = q, .id = r->id, .ext = ext, .root = (uint8_t)k};
    io->req = (struct blkdev_req){.op = r->op, .ns = k % BLKDEV_NS_MAX};
    if (r->op == VN_BLK_FLUSH)
        return 0;
    uint32_t pages;
    if ((s = blk_req_range(r, ext->count, root_ns(k)->block_size, root_dev(k)->max_pages, &pages)) < 0)
        return s;
    if ((s = env_cap_lookup(q->owner, r->pages, CAP_PAGE, rd ? CR_WRITE : CR_READ, &pg)) < 0)
        return s;
    if (!blk_inside(pg->count, r->page_index, pages))
        return -E_RANGE;
    for (uint32_t i = 0; i < pages; i++)
        if (page_info[pg->obj + r->page_index + i].flags & VN_PI_KERNEL)
            return -E_PERM;
    io->lba = BLK_OBJ_BASE(ext->obj) + r->block;
    io->nblocks = r->nblocks;
    if (orphan_overlap(k, io->lba, io->nblocks))
        return -E_BUSY;
    io->pfn = pg->obj + r->page_index;
    io->npages = (uint16_t)pages;
    io->req.flags = r->flags & VN_BLK_FUA ? BLKDEV_FUA : 0;
    io->req.lba = io->lba;
    io->req.nblocks = r->nblocks;
    io->req.npages = (uint16_t)pages;
    return 0;
}

static void blk_done(struct blkdev_req *req, int status);

/* Undo the pins and mappings of io's first n pages. */
static void unpin(struct blk_io *io, uint32_t n)
{
    struct blkdev *bd = blk.dev[io->q->dev];
    for (uint32_t i = 0; i < n; i++) {
        if (drv_kernel_translated(bd->drv))
            drv_kernel_dma_unmap(bd->drv, io->req.iova + i * PAGE_SIZE);
        page_unref(io->pfn + i);
    }
}

/* Pin, map and submit a checked request (invoke).  Errors: the mapping's
 * (-E_NOMEM), the driver's (-E_NODEV: the disk stopped). */
static int start(struct blk_queue *q, struct blk_io *io)
{
    struct blkdev *bd = blk.dev[q->dev];
    bool translated = drv_kernel_translated(bd->drv);
    uint64_t slot = (uint64_t)(io - q->io);
    io->req.iova = translated ? BLK_IOVA_BASE + ((uint64_t)(q - blk.q) * VN_BLKQ_INFLIGHT_MAX + slot) * BLK_WINDOW
                              : io->pfn * PAGE_SIZE;
    io->req.done = blk_done;
    io->req.ctx = io;
    int r = 0;
    uint32_t i = 0;
    for (; i < io->npages; i++) {
        page_ref(io->pfn + i);
        if (translated && (r = drv_kernel_dma_map(bd->drv, io->req.iova + i * PAGE_SIZE, (io->pfn + i) * PAGE_SIZE,
                                                   io->req.op == BLKDEV_READ)) < 0) {
            page_unref(io->pfn + i);
            break;
        }
    }
    if (r == 0 && (r = bd->ops->submit(bd, &io->req)) == 0) {
        io->busy = true;
        io->ext->bindings = (void *)((uintptr_t)io->ext->bindings + 1);
        q->inflight++;
        return 0;
    }
    unpin(io, i);
    return r;
}

/* Take one request from q: 1 taken (submitted, or completed with its
 * error), 0 q cannot go on now, -1 the device has no room. */
static int take_one(struct blk_queue *q)
{
    struct vn_blkq_hdr *h = hdr(q);
    struct blkdev *bd = blk.dev[q->dev];
    uint32_t tail = __atomic_load_n(&h->sq_tail, __ATOMIC_ACQUIRE);
    if (!blk_ring_pending(tail, q->sq_head, q->nslots) ||
        !blk_cq_room(q->cq_head, __atomic_load_n(&h->cq_tail, __ATOMIC_ACQUIRE), q->inflight, q->nslots)) {
        q->waiting = false;             /* the libOS rings again */
        return 0;
    }
    if (q->inflight == q->inflight_max)
        return 0;                       /* a completion pumps it */
    if (bd->running && !bd->ops->room(bd))
        return -1;
    struct vn_blk_req r;
    memcpy(&r, pfn_entry(q->ring_pfn + 1, q->sq_head++ % q->nslots, VN_BLKQ_SQ_PER_PAGE, sizeof(r)), sizeof(r));
    h->sq_head = q->sq_head;
    h->taken++;
    struct blk_io *io = q->io;
    while (io->busy)
        io++;                           /* inflight < inflight_max: one is free */
    int s = check(q, &r, io);
    if (s == 0)
        s = start(q, io);
    if (s < 0)
        post(q, r.id, s);
    return 1;
}

/* Serve device d's waiting queues in round-robin, one request per queue
 * per round, each at most its ring's size per call. */
static void pump(unsigned d)
{
    uint16_t taken[BLKQ_MAX] = {0};
    for (bool progress = true; progress;) {
        progress = false;
        for (unsigned n = 0; n < BLKQ_MAX; n++) {
            unsigned i = (blk.rr[d] + n) % BLKQ_MAX;
            struct blk_queue *q = &blk.q[i];
            if (!q->cap || q->dev != d || !q->waiting || taken[i] >= q->nslots)
                continue;
            int r = take_one(q);
            if (r < 0)
                return;
            if (r > 0) {
                taken[i]++;
                progress = true;
                blk.rr[d] = (i + 1) % BLKQ_MAX;
            }
        }
    }
}

long blk_doorbell(struct cap *c)
{
    struct blk_queue *q = queue_of(c);
    if (!q)
        return -E_NOENT;
    uint32_t before = q->sq_head;
    q->waiting = true;
    pump(q->dev);
    return (long)(q->sq_head - before);
}

/* The driver's completion of io: unmap, unpin, post, and pump the disk. */
static void blk_done(struct blkdev_req *req, int status)
{
    struct blk_io *io = req->ctx;
    struct blk_queue *q = io->q;
    unsigned d = q->dev;
    unpin(io, io->npages);
    if (io->ext) {
        io->ext->bindings = (void *)((uintptr_t)io->ext->bindings - 1);
    } else {
        SLIST_UNLINK(&blk.orphans, io, orphan_next);
        blk.norphans--;
    }
    io->busy = false;
    q->inflight--;
    if (q->closing) {
        if (q->inflight == 0)
            queue_free(q);
    } else {
        post(q, io->id, status);
    }
    pump(d);
}

void blk_cap_release(struct cap *c)
{
    if (c->type == CAP_BLK) {
        if (!c->bindings)
            return;
        for (unsigned i = 0; i < BLKQ_MAX; i++)
            for (uint32_t k = 0; blk.q[i].io && k < blk.q[i].inflight_max; k++) {
                struct blk_io *io = &blk.q[i].io[k];
                if (io->busy && io->ext == c) {
                    io->ext = NULL;
                    io->orphan_next = blk.orphans;
                    blk.orphans = io;
                    blk.norphans++;
                }
            }
        c->bindings = NULL;
        return;
    }
    struct blk_queue *q = queue_of(c);
    if (!q || q->cap != c)
        return;     /* a copy: the queue goes with its own capability */
    if (q->notify)
        SLIST_UNLINK(&q->notify->blkqs, q, notify_next);
    q->notify = NULL;
    env_uncharge_env(q->owner, 1);
    q->owner = NULL;
    q->cap = NULL;
    q->gen++;
    q->waiting = false;
    if (q->inflight)
        q->closing = true;
    else
        queue_free(q);
}

void blk_notify_gone(struct notify *n)
{
    for (struct blk_queue *q = n->blkqs; q; q = q->notify_next)
        q->notify = NULL;
    n->blkqs = NULL;
}

void blk_audit_refs(uint32_t *counted)
{
    for (unsigned i = 0; i < BLKQ_MAX; i++) {
        struct blk_queue *q = &blk.q[i];
        for (uint32_t k = 0; (q->cap || q->closing) && k < q->ring_pages; k++)
            counted[q->ring_pfn + k]++;
        for (uint32_t k = 0; q->io && k < q->inflight_max; k++)
            for (uint32_t p = 0; q->io[k].busy && p < q->io[k].npages; p++)
                counted[q->io[k].pfn + p]++;
    }
}
