/*
 * blkd: a user-level block driver environment that multiplexes one NVMe
 * controller among other environments, as kernel/blk.c does in the
 * kernel (the second home of the block multiplexer; docs/devices.md).
 *
 *   supervisor --spawn(device cap)--> blkd: drivers/nvme in the user home
 *   supervisor --BLKD_EXTENT (badge 0)--> an extent, named by a badge
 *   client --BLKD_GRANT/QUEUE (badged)--> its pages, its ring, its word
 *   client: vn_blk_req in SQ[sq_tail % n] --BLKD_DOORBELL--> blkd
 *   blkd: each new request decoded once with the kernel's pure code
 *         (drivers/blk_mux/blk_extent.h), its pages' IOVA in blkd's
 *         own IOMMU domain, submitted to drivers/nvme
 *   device done --> vn_blk_cpl in CQ[cq_head % n], notify(client word)
 *
 * The ring format is <veneer/blk.h>'s, so lib/fs/blkdev_veneer.c serves a
 * file system over either home with the same code.  Authority: the badge
 * of the endpoint a client calls names its extent (minted by the holder
 * of the unbadged endpoint, the supervisor); requests name the capref the
 * client gave at BLKD_QUEUE and pages it granted by BLKD_GRANT.  DMA
 * reaches a client's pages only through the copy it granted, dma_mapped
 * in blkd's domain at first use (its rights are the directions allowed),
 * and revoking it cuts the device off (the kernel unmaps it).
 *
 * arg0 BLKD_EVIL (tests only, tests/user/blkd_sup.c): a hostile driver
 * that answers every doorbell with completions of requests nobody made,
 * a nonsense cq_head and a flood of notifications, never touching the
 * device; its clients must fail cleanly, nobody else may notice.
 *
 * One thread: calls, device completions (uhome_wait) and the pump
 * alternate; a call is served in bounded time (one ring's worth of
 * requests).  Not yet: extent revocation with orphans (an extent lives as
 * long as blkd), and a ring revoked under blkd's feet faults blkd (only
 * blkd: tests/user/blkd_sup.c; the supervisor's restart covers it).
 */
#include <libveneer.h>
#include <ipc.h>
#include <vn.h>
#include <veneer/blk.h>
#include <veneer/blkd.h>
#include "blk_mux/blk_extent.h"
#include "blkdev.h"
#include "home_user.h"
#include "nvme/nvme.h"

#define BLKD_IOVA_BASE (1ull << 36)     /* client grants, far above the home's own allocations */
#define BLKD_IOVA_END  (1ull << 38)
#define BLKD_PAGE      4096ull

struct blkd_grant {
    capref_t client, mine;          /* the client's capref (named in requests), our copy */
    uint64_t pages;
    unsigned rights;                /* CR_READ: the device may read them; CR_WRITE: write */
    uint64_t iova;                  /* 0 until first used as data */
    bool ring;                      /* a queue's ring: never data */
};

struct blkd_extent {
    bool used;
    unsigned ns;                    /* the namespace index (d.bd->ns[]) */
    uint64_t base, count;
    unsigned rights;
    struct blkd_grant g[BLKD_GRANTS_MAX];
    unsigned ngrants;
};

struct blkd_queue;

struct blkd_io {
    struct blkdev_req req;
    struct blkd_queue *q;
    uint64_t id;
    bool busy;
};

struct blkd_queue {
    struct blkd_extent *ext;        /* NULL: free */
    capref_t ext_ref;               /* what its requests name as their extent */
    uint8_t *ring;                  /* the client's ring, mapped here */
    capref_t notify;
    uint64_t bits;
    uint32_t nslots, inflight, inflight_max, sq_head, cq_head;
    uint32_t start;                 /* the ring index this instance began at */
    bool waiting;
    struct blkd_io io[VN_BLKQ_INFLIGHT_MAX];
};

static struct {
    struct blkdev *bd;
    capref_t dev;
    struct blkd_extent ext[BLKD_EXTENTS_MAX];
    struct blkd_queue q[BLKD_QUEUES_MAX];
    unsigned rr;
    uint32_t inflight;
    uint64_t next_iova;
} d;

static const struct drv_driver *const drivers[] = {&nvme_driver};
static struct vn_blkq_hdr *hdr(struct blkd_queue *q) { return (struct vn_blkq_hdr *)q->ring; }
static bool evil;

#define BLKD_EVIL 1

/* The hostile driver's answer to a doorbell on q: garbage in its ring
 * and its word. */
static long evil_doorbell(struct blkd_queue *q)
{
    struct vn_blkq_hdr *h = hdr(q);
    uint32_t sq_pages = (q->nslots + VN_BLKQ_SQ_PER_PAGE - 1) / VN_BLKQ_SQ_PER_PAGE;
    struct vn_blk_cpl *cq = (struct vn_blk_cpl *)(q->ring + BLKD_PAGE * (1 + sq_pages));
    for (uint32_t i = 0; i < q->nslots; i++)
        cq[i] = (struct vn_blk_cpl){.id = 0xdead0000u + i, .status = (int32_t)(i * 2654435761u)};
    h->sq_head = h->sq_tail;
    h->cq_head = h->cq_tail + 3 + q->nslots * 5;
    for (int i = 0; i < 1000; i++)
        vn_notify_signal(q->notify, ~0ull >> 1);
    return 1;
}


static struct blkd_grant *grant_of(struct blkd_extent *e, capref_t client)
{
    for (unsigned i = 0; i < e->ngrants; i++)
        if (e->g[i].client == client)
            return &e->g[i];
    return NULL;
}

/* Post a completion in q's ring and signal the client's word. */
static void post(struct blkd_queue *q, uint64_t id, int status)
{
    struct vn_blkq_hdr *h = hdr(q);
    uint32_t sq_pages = (q->nslots + VN_BLKQ_SQ_PER_PAGE - 1) / VN_BLKQ_SQ_PER_PAGE;
    struct vn_blk_cpl *cq = (struct vn_blk_cpl *)(q->ring + BLKD_PAGE * (1 + sq_pages));
    cq[q->cq_head++ % q->nslots] = (struct vn_blk_cpl){.id = id, .status = status};
    h->inflight = q->inflight;
    if (status < 0)
        h->refused++;
    __atomic_store_n(&h->cq_head, q->cq_head, __ATOMIC_RELEASE);
    vn_notify_signal(q->notify, q->bits);
}

static void done(struct blkdev_req *req, int status)
{
    struct blkd_io *io = req->ctx;
    struct blkd_queue *q = io->q;
    io->busy = false;
    q->inflight--;
    d.inflight--;
    post(q, io->id, status);
}

/* Map grant g for the device (first use as data).  Errors: dma_map's. */
static int grant_dma(struct blkd_grant *g)
{
    if (g->iova)
        return 0;
    if (g->pages > (BLKD_IOVA_END - d.next_iova) / BLKD_PAGE - 1)
        return -E_NOSPC;
    unsigned prot = (g->rights & CR_READ ? VN_DMA_READ : 0) | (g->rights & CR_WRITE ? VN_DMA_WRITE : 0);
    long r = vn_dma_map(d.dev, g->mine, d.next_iova, prot);
    if (r < 0)
        return (int)r;
    g->iova = d.next_iova;
    d.next_iova += (g->pages + 1) * BLKD_PAGE;     /* a guard page after each grant */
    return 0;
}

/* Decode request r of q once, in kernel/blk.c's order, into io.
 * Errors: -E_INVAL (op, flags, sizes), -E_BADCAP (an extent or pages it
 * did not name or grant), -E_PERM (rights), -E_RANGE (outside the extent
 * or the grant), dma_map's. */
static int check(struct blkd_queue *q, const struct vn_blk_req *r, struct blkd_io *io)
{
    bool rd = r->op == VN_BLK_READ;
    int s = blk_req_op(r);
    if (s < 0)
        return s;
    if (r->extent != q->ext_ref)
        return -E_BADCAP;
    if (!(q->ext->rights & (rd ? CR_READ : CR_WRITE)))
        return -E_PERM;
    *io = (struct blkd_io){.q = q, .id = r->id};
    io->req = (struct blkdev_req){.op = r->op, .ns = q->ext->ns, .done = done, .ctx = io};
    if (r->op == VN_BLK_FLUSH)
        return 0;
    uint32_t pages;
    if ((s = blk_req_range(r, q->ext->count, d.bd->ns[q->ext->ns].block_size, d.bd->max_pages, &pages)) < 0)
        return s;
    struct blkd_grant *g = grant_of(q->ext, r->pages);
    if (!g || g->ring)
        return -E_BADCAP;
    if (!(g->rights & (rd ? CR_WRITE : CR_READ)))
        return -E_PERM;
    if (!blk_inside(g->pages, r->page_index, pages))
        return -E_RANGE;
    if ((s = grant_dma(g)) < 0)
        return s;
    io->req.flags = r->flags & VN_BLK_FUA ? BLKDEV_FUA : 0;
    io->req.lba = q->ext->base + r->block;
    io->req.nblocks = r->nblocks;
    io->req.npages = (uint16_t)pages;
    io->req.iova = g->iova + r->page_index * BLKD_PAGE;
    return 0;
}

/* Take one request from q: 1 taken, 0 q cannot go on now, -1 the device
 * has no room (kernel/blk.c's take_one). */
static int take_one(struct blkd_queue *q)
{
    struct vn_blkq_hdr *h = hdr(q);
    uint32_t tail = __atomic_load_n(&h->sq_tail, __ATOMIC_ACQUIRE);
    if (!blk_ring_pending(tail, q->sq_head, q->nslots) ||
        !blk_cq_room(q->cq_head, __atomic_load_n(&h->cq_tail, __ATOMIC_ACQUIRE), q->inflight, q->nslots)) {
        q->waiting = false;
        return 0;
    }
    if (q->inflight == q->inflight_max)
        return 0;
    if (d.bd->running && !d.bd->ops->room(d.bd))
        return -1;
    struct vn_blk_req r;
    memcpy(&r, q->ring + BLKD_PAGE + (q->sq_head++ % q->nslots) * sizeof(r), sizeof(r));
    h->sq_head = q->sq_head;
    h->taken++;
    struct blkd_io *io = q->io;
    while (io->busy)
        io++;
    int s = check(q, &r, io);
    if (s == 0 && (s = d.bd->ops->submit(d.bd, &io->req)) == 0) {
        io->busy = true;
        q->inflight++;
        d.inflight++;
    }
    if (s < 0)
        post(q, r.id, s);
    return 1;
}

/* Serve the waiting queues round-robin, each at most its ring's size. */
static void pump(void)
{
    uint16_t taken[BLKD_QUEUES_MAX] = {0};
    for (bool progress = true; progress;) {
        progress = false;
        for (unsigned n = 0; n < BLKD_QUEUES_MAX; n++) {
            unsigned i = (d.rr + n) % BLKD_QUEUES_MAX;
            struct blkd_queue *q = &d.q[i];
            if (!q->ext || !q->waiting || taken[i] >= q->nslots)
                continue;
            int r = take_one(q);
            if (r < 0)
                return;
            if (r > 0) {
                taken[i]++;
                progress = true;
                d.rr = (i + 1) % BLKD_QUEUES_MAX;
            }
        }
    }
}

/* ------------------------------------------------------------ control */

/* Mint an extent of namespace w3 >> 32, blocks [w1, w1 + w2).  Errors:
 * -E_PERM (rights), -E_NOENT (no such namespace), -E_RANGE (outside it),
 * -E_NOSPC. */
static long op_extent(const struct vn_msg *m, uint64_t *badge)
{
    unsigned rights = (unsigned)m->w[3];
    uint64_t ns = m->w[3] >> 32;
    if (rights & ~(CR_READ | CR_WRITE) || !rights)
        return -E_PERM;
    if (ns >= d.bd->nns)
        return -E_NOENT;
    if (!blk_inside(d.bd->ns[ns].blocks, m->w[1], m->w[2]))
        return -E_RANGE;
    for (unsigned i = 0; i < BLKD_EXTENTS_MAX; i++)
        if (!d.ext[i].used) {
            d.ext[i] = (struct blkd_extent){.used = true, .ns = (unsigned)ns, .base = m->w[1], .count = m->w[2],
                                            .rights = rights};
            *badge = i + 1;
            return 0;
        }
    return -E_NOSPC;
}

/* Keep the pages m carries as grant m->w[1] of e.  Errors: -E_INVAL (no
 * pages, not CAP_PAGE, no CR_MAP), -E_EXIST (that capref again),
 * -E_NOSPC. */
static long op_grant(struct blkd_extent *e, const struct vn_msg *m)
{
    struct vn_capinfo ci;
    if (m->cap < 0 || vn_cap_info(m->cap, &ci) < 0 || ci.type != CAP_PAGE || !(ci.rights & CR_MAP))
        return -E_INVAL;
    if (grant_of(e, (capref_t)m->w[1]))
        return -E_EXIST;
    if (e->ngrants == BLKD_GRANTS_MAX)
        return -E_NOSPC;
    e->g[e->ngrants++] = (struct blkd_grant){.client = (capref_t)m->w[1], .mine = m->cap, .pages = ci.count,
                                             .rights = ci.rights & (CR_READ | CR_WRITE)};
    return 0;
}

/* Open a queue of e over a granted ring.  Errors: -E_INVAL (shape, ring
 * too small or not writable, no word), -E_BADCAP (ring not granted),
 * -E_NOSPC, page_map's. */
static long op_queue(struct blkd_extent *e, const struct vn_msg *m, uint64_t *qid)
{
    struct vn_capinfo ci;
    uint32_t nslots = (uint32_t)m->w[2], inflight = (uint32_t)(m->w[2] >> 32) & ~BLKD_REATTACH;
    bool reattach = m->badge && (m->w[2] >> 32) & BLKD_REATTACH;
    if (m->cap < 0 || vn_cap_info(m->cap, &ci) < 0 || ci.type != CAP_NOTIFY || !(ci.rights & CR_WRITE))
        return -E_INVAL;
    if (!blk_queue_shape(nslots, inflight, VN_BLKQ_SLOTS_MAX, VN_BLKQ_INFLIGHT_MAX) || !m->w[3])
        return -E_INVAL;
    struct blkd_grant *g = grant_of(e, (capref_t)(uint32_t)m->w[1]);
    if (!g)
        return -E_BADCAP;
    if (g->iova || g->pages < VN_BLKQ_PAGES(nslots) || !(g->rights & CR_WRITE))
        return -E_INVAL;
    struct blkd_queue *q = NULL;
    for (unsigned i = 0; i < BLKD_QUEUES_MAX && !q; i++)
        if (!d.q[i].ext)
            q = &d.q[i];
    if (!q)
        return -E_NOSPC;
    uint64_t n = VN_BLKQ_PAGES(nslots), va = vn_va_reserve(n);
    struct vn_map_entry me[8];
    for (uint64_t i = 0; i < n; i++)
        me[i] = (struct vn_map_entry){va + i * BLKD_PAGE, g->mine, VM_PROT_WRITE, i};
    long r = vn_page_map(CAP_SELF, me, n);
    if (r != (long)n)
        return r < 0 ? r : -E_INVAL;
    /* Invoke: nothing below fails. */
    g->ring = true;
    *q = (struct blkd_queue){.ext = e, .ext_ref = (capref_t)(m->w[1] >> 32), .ring = (uint8_t *)va,
                             .notify = m->cap, .bits = m->w[3], .nslots = nslots, .inflight_max = inflight};
    struct vn_blkq_hdr *h = hdr(q);
    if (reattach) {                     /* a previous instance's ring: keep its indices */
        q->sq_head = h->sq_head = __atomic_load_n(&h->sq_tail, __ATOMIC_ACQUIRE);
        q->cq_head = h->cq_head;
        h->inflight = 0;
    } else {
        memset(h, 0, sizeof(*h));
    }
    h->nslots = nslots;
    q->start = q->sq_head;
    *qid = (uint64_t)(q - d.q);
    return 0;
}

/* Serve one call; the reply goes in rep. */
static void serve(const struct vn_msg *m, uint64_t rep[4])
{
    struct blkd_extent *e = m->badge && m->badge <= BLKD_EXTENTS_MAX && d.ext[m->badge - 1].used
                                ? &d.ext[m->badge - 1] : NULL;
    long s = -E_INVAL;
    bool keep = false;                  /* the capability it carried stays ours */
    if (m->badge == 0 && m->w[0] == BLKD_EXTENT) {
        s = op_extent(m, &rep[1]);
    } else if (m->badge == 0 && m->w[0] == BLKD_INFO) {
        s = m->w[1] < d.bd->nns ? 0 : -E_NOENT;     /* the supervisor: a whole namespace */
        if (s == 0) {
            rep[1] = rep[3] = d.bd->ns[m->w[1]].blocks;
            rep[2] = d.bd->ns[m->w[1]].block_size;
        }
    } else if (!e) {
        s = -E_PERM;
    } else if (m->w[0] == BLKD_INFO) {
        rep[1] = e->count;
        rep[2] = d.bd->ns[e->ns].block_size | (uint64_t)(d.bd->volatile_cache ? VN_BLK_VOLATILE_CACHE : 0) << 32;
        rep[3] = d.bd->ns[e->ns].blocks;
        s = 0;
    } else if (m->w[0] == BLKD_WHERE) {
        rep[1] = e->base;
        rep[2] = d.bd->ns[e->ns].nsid;
        s = 0;
    } else if (m->w[0] == BLKD_GRANT) {
        keep = (s = op_grant(e, m)) == 0;
    } else if (m->w[0] == BLKD_QUEUE) {
        keep = (s = op_queue(e, m, &rep[1])) == 0;
    } else if (m->w[0] == BLKD_DOORBELL) {
        struct blkd_queue *q = m->w[1] < BLKD_QUEUES_MAX ? &d.q[m->w[1]] : NULL;
        if (!q || q->ext != e) {
            s = -E_NOENT;
        } else {
            uint32_t before = q->sq_head;
            if (evil) {
                s = evil_doorbell(q);
                goto out;
            }
            q->waiting = true;
            pump();
            s = (long)(q->sq_head - before);
            rep[2] = q->start;
        }
    }
out:
    if (!keep && m->cap >= 0)
        vn_cap_delete(m->cap);
    rep[0] = (uint64_t)s;
}

int main(uint64_t mode)
{
    evil = mode == BLKD_EVIL;
    struct drv_dev *dd;
    int r = uhome_init();
    if (r == 0)
        r = uhome_attach(VN_CAP_SPAWN_SHARE, drivers, 1, &dd);
    d.bd = r == 0 ? blkdev_find(0) : NULL;
    if (!d.bd) {
        printf("blkd: no disk to serve (%s)\n", vn_strerror(r));
        return 1;
    }
    d.dev = uhome_dev_cap(dd);
    d.next_iova = BLKD_IOVA_BASE;
    printf("blkd: %s: %lu blocks of %u bytes, shared by badged extents\n", d.bd->name, d.bd->ns[0].blocks,
           d.bd->ns[0].block_size);
    /* With requests in the device, sleep on its interrupt (bounded, so
     * that callers queued meanwhile wait at most 1 ms), then take a call
     * if one is queued; idle, sleep in ipc_recv. */
    for (;;) {
        struct vn_msg m;
        if (d.inflight && uhome_wait(1000000) > 0)
            pump();
        if (vn_recv(d.inflight ? 1 : 1000000000, &m) == 0) {     /* idle: wake once a second at most */
            uint64_t rep[4] = {0};
            serve(&m, rep);
            vn_ipc_reply(rep[0], rep[1], rep[2], rep[3]);
        }
    }
}
