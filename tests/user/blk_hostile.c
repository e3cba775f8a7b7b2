/*
 * The block multiplexer against hostile libOSes, on a 2 MiB raw image in
 * 512-byte blocks (tests/qemu/blk_hostile.t, which checks the image on the
 * host afterwards).  Extents: derivation arithmetic (overflow, outside,
 * rights); queues: bad shapes and rings; requests: outside the extent,
 * wrapping, wrong rights, forged, stale and mistyped caps, pages that are
 * read-only for a read, kernel memory or out of their capability, bad
 * fields; a full ring and a nonsense tail; a revoke while a write is in
 * flight (the blocks stay busy until it lands); two children writing
 * disjoint extents at once; a child that dies with writes in flight
 * (nothing leaks).
 *
 *   blocks    0..1023  child 1 (tag 0x11)    1024..2047 child 2 (0x22)
 *          2048..2111  read-only extent       2560..3071 revoke test (0x33)
 *          3072..3583  the dying child (0x44)  4000..4007 the edge extent
 * Everything else stays zero: the host checks it.
 *
 * mode 0: the test.  mode 1, 2: a writer of the extent in its slot 1 with
 * tag arg1.  mode 3: a child that leaves four writes in flight and exits.
 */
#include <veneer/blk.h>
#include <veneer/dev.h>
#include "check.h"

int main(uint64_t mode, uint64_t arg1);

#define NSLOTS   16
#define INFLIGHT 4
#define BUF_PAGES 64

struct queue {
    capref_t ring, word, q;
    volatile struct vn_blkq_hdr *h;
    volatile struct vn_blk_req *sq;
    volatile struct vn_blk_cpl *cq;
    uint32_t tail, cq_tail;
};

struct buf {
    capref_t cap;
    uint8_t *va;
};

static uint8_t pattern(uint8_t tag, uint64_t off)
{
    return (uint8_t)(tag ^ (off >> 9) ^ (off * 7));
}

/* npages contiguous pages, mapped writable; cap names them all. */
static int buf_new(struct buf *b, uint64_t npages)
{
    long p = vn_page_alloc(CAP_SELF, 0, npages);
    if (p < 0)
        return (int)p;
    uint64_t va = vn_va_reserve(npages);
    static struct vn_map_entry m[BUF_PAGES];
    for (uint64_t i = 0; i < npages; i++)
        m[i] = (struct vn_map_entry){va + i * 4096, (capref_t)p, VM_PROT_WRITE, i};
    if (vn_page_map(CAP_SELF, m, npages) != (long)npages)
        return -1;
    *b = (struct buf){.cap = (capref_t)p, .va = (uint8_t *)va};
    return 0;
}

static long queue_open(struct queue *q, capref_t ext, uint32_t nslots, uint32_t inflight)
{
    uint64_t n = VN_BLKQ_PAGES(nslots);
    struct buf b;
    long w = vn_notify_create();
    if (w < 0 || buf_new(&b, n) < 0)
        return -1;
    struct vn_blkq_req r = {.ring = b.cap, .notify = (capref_t)w, .bits = 1, .nslots = nslots,
                            .inflight = inflight};
    long c = vn_blk_queue(ext, &r);
    if (c < 0)
        return c;
    *q = (struct queue){.ring = b.cap, .word = (capref_t)w, .q = (capref_t)c,
                        .h = (volatile struct vn_blkq_hdr *)b.va,
                        .sq = (volatile struct vn_blk_req *)(b.va + 4096),
                        .cq = (volatile struct vn_blk_cpl *)(b.va + 4096 * (1 + (nslots + 63) / 64))};
    return c;
}

/* Queue r (not rung). */
static void put(struct queue *q, struct vn_blk_req r)
{
    q->sq[q->tail % q->h->nslots] = r;
    __atomic_store_n(&q->h->sq_tail, ++q->tail, __ATOMIC_RELEASE);
}

/* The next completion, waiting up to 5 s; 0 with *c filled, or -1. */
static int reap(struct queue *q, struct vn_blk_cpl *c)
{
    uint64_t until = vn_clock_ns() + 5000000000ul;
    while (__atomic_load_n(&q->h->cq_head, __ATOMIC_ACQUIRE) == q->cq_tail) {
        if (vn_clock_ns() > until)
            return -1;
        vn_notify_wait(q->word, 10000000ul);
    }
    *c = (struct vn_blk_cpl){q->cq[q->cq_tail % q->h->nslots].id, q->cq[q->cq_tail % q->h->nslots].status, 0};
    __atomic_store_n(&q->h->cq_tail, ++q->cq_tail, __ATOMIC_RELEASE);
    return 0;
}

/* One request, rung and waited for: its status (-100 if none came). */
static long one(struct queue *q, struct vn_blk_req r)
{
    struct vn_blk_cpl c;
    put(q, r);
    long t = vn_blk_doorbell(q->q);
    if (t != 1)
        return t < 0 ? t : -101;
    return reap(q, &c) == 0 && c.id == r.id ? c.status : -100;
}

static struct vn_blk_req rw(unsigned op, capref_t ext, uint64_t block, uint32_t nblocks, capref_t pages,
                            uint64_t index)
{
    static uint64_t id = 1;
    return (struct vn_blk_req){.id = id++, .op = (uint8_t)op, .npages = (uint16_t)((nblocks * 512 + 4095) / 4096),
                               .extent = ext, .block = block, .nblocks = nblocks, .pages = pages,
                               .page_index = index};
}

static void fill(struct buf *b, uint8_t tag, uint64_t disk_off, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        b->va[i] = pattern(tag, disk_off + i);
}

static int same(struct buf *b, uint8_t tag, uint64_t disk_off, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        if (b->va[i] != pattern(tag, disk_off + i))
            return 0;
    return 1;
}

/* mode 1, 2: write the whole extent in slot 1 (1024 blocks) in 64-page
 * requests with tag, read it back, and fail to step outside it. */
static int writer(uint8_t tag)
{
    struct vn_blkinfo bi;
    struct queue q;
    struct buf b;
    capref_t ext = VN_CAP_SPAWN_SHARE;
    if (vn_blk_info(ext, &bi) != 0 || bi.count != 1024 || queue_open(&q, ext, NSLOTS, INFLIGHT) < 0 ||
        buf_new(&b, BUF_PAGES) < 0)
        return 2;
    for (uint64_t blk = 0; blk < 1024; blk += 512) {
        fill(&b, tag, (bi.base + blk) * 512, 512 * 512);
        if (one(&q, rw(VN_BLK_WRITE, ext, blk, 512, b.cap, 0)) != 0)
            return 3;
    }
    if (one(&q, rw(VN_BLK_FLUSH, ext, 0, 0, -1, 0)) != 0)
        return 4;
    for (uint64_t blk = 0; blk < 1024; blk += 512) {
        memset(b.va, 0, 512 * 512);
        if (one(&q, rw(VN_BLK_READ, ext, blk, 512, b.cap, 0)) != 0 || !same(&b, tag, (bi.base + blk) * 512, 512 * 512))
            return 5;
    }
    if (one(&q, rw(VN_BLK_WRITE, ext, 1024, 1, b.cap, 0)) != -E_RANGE ||
        one(&q, rw(VN_BLK_WRITE, ext, 1023, 2, b.cap, 0)) != -E_RANGE)
        return 6;
    return 0;
}

/* mode 3: four 64-page writes in flight, then exit without waiting. */
static int dying(void)
{
    struct queue q;
    struct buf b;
    capref_t ext = VN_CAP_SPAWN_SHARE;
    if (queue_open(&q, ext, NSLOTS, INFLIGHT) < 0 || buf_new(&b, BUF_PAGES) < 0)
        return 2;
    fill(&b, 0x44, 3072 * 512, 64 * 4096);
    for (unsigned i = 0; i < 4; i++)
        put(&q, rw(VN_BLK_WRITE, ext, 0, 512, b.cap, 0));
    vn_blk_doorbell(q.q);
    vn_exit(0);
}

int main(uint64_t mode, uint64_t arg1)
{
    if (mode == 1 || mode == 2)
        return writer((uint8_t)arg1);
    if (mode == 3)
        return dying();
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t root = (capref_t)vn_sysinfo->blk_cap;
    struct vn_blkinfo bi;
    CHECK(vn_sysinfo->nblk == 1 && root > 0);
    CHECK_EQ(vn_blk_info(root, &bi), 0);
    CHECK(bi.base == 0 && bi.count == 4096 && bi.ns_blocks == 4096 && bi.block_size == 512 && bi.nsid == 1);
    CHECK_EQ(vn_blk_info(VN_CAP_ARCHIVE, &bi), -E_TYPE);
    /* The kernel's NVMe functions (the disk, and with blklog= the write
     * log's controller) are not handed out as device capabilities. */
    unsigned nvme = 0;
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        struct vn_devinfo di;
        CHECK_EQ(vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di), 0);
        nvme += di.class == 1 && di.subclass == 8;
    }
    CHECK_EQ(nvme, 0);
    printf("blk_hostile: no NVMe function among %lu device capabilities\n", (unsigned long)vn_sysinfo->ndevices);

    /* Derivation arithmetic and rights. */
    CHECK_EQ(vn_blk_derive(root, 1, ~0ul, CR_READ), -E_RANGE);
    CHECK_EQ(vn_blk_derive(root, ~0ul, 2, CR_READ), -E_RANGE);
    CHECK_EQ(vn_blk_derive(root, 4000, 97, CR_READ), -E_RANGE);
    CHECK_EQ(vn_blk_derive(root, 4096, 1, CR_READ), -E_RANGE);
    CHECK_EQ(vn_blk_derive(root, 0, 0, CR_READ), -E_INVAL);
    CHECK_EQ(vn_blk_derive(root, 0, 8, CR_MAP), -E_PERM);
    long ro = vn_blk_derive(root, 2048, 64, CR_READ);
    CHECK(ro > 0);
    CHECK_EQ(vn_blk_derive((capref_t)ro, 0, 8, CR_READ), -E_PERM);         /* no CR_GRANT */
    long a = vn_blk_derive(root, 0, 1024, CR_READ | CR_WRITE | CR_GRANT);
    long b = vn_blk_derive(root, 1024, 1024, CR_READ | CR_WRITE | CR_GRANT);
    long edge = vn_blk_derive(root, 4000, 8, CR_READ | CR_WRITE);
    CHECK(a > 0 && b > 0 && edge > 0);
    CHECK_EQ(vn_blk_derive((capref_t)a, 1000, 25, CR_READ), -E_RANGE);
    CHECK_EQ(vn_blk_info((capref_t)b, &bi), 0);
    CHECK(bi.base == 1024 && bi.count == 1024);

    /* Queues: shapes, rings. */
    struct queue q;
    struct buf data, small;
    CHECK(buf_new(&data, BUF_PAGES) == 0 && buf_new(&small, 1) == 0);
    long w = vn_notify_create();
    struct vn_blkq_req bad = {.ring = data.cap, .notify = (capref_t)w, .bits = 1, .nslots = 12, .inflight = 4};
    CHECK_EQ(vn_blk_queue(root, &bad), -E_INVAL);                           /* not a power of two */
    bad.nslots = 16, bad.inflight = 16;
    CHECK_EQ(vn_blk_queue(root, &bad), -E_INVAL);                           /* inflight >= nslots */
    bad.inflight = 4, bad.bits = 0;
    CHECK_EQ(vn_blk_queue(root, &bad), -E_INVAL);
    bad.bits = 1ul << 63;
    CHECK_EQ(vn_blk_queue(root, &bad), -E_INVAL);
    bad.bits = 1, bad.ring = small.cap;
    CHECK_EQ(vn_blk_queue(root, &bad), -E_INVAL);                           /* ring too small */
    bad.ring = VN_CAP_ARCHIVE;
    CHECK_EQ(vn_blk_queue(root, &bad), -E_PERM);                            /* read-only, kernel */
    bad.ring = root;
    CHECK_EQ(vn_blk_queue(root, &bad), -E_TYPE);
    CHECK_EQ(vn_blk_queue(root, (const struct vn_blkq_req *)0xffff800000000000ul), -E_FAULT);
    CHECK(queue_open(&q, root, NSLOTS, INFLIGHT) > 0);
    CHECK_EQ(vn_blk_doorbell((capref_t)a), -E_TYPE);

    /* Requests: good ones, then each kind of bad one (nothing reaches the disk). */
    fill(&data, 0x55, 0, 4096);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)a, 0, 8, data.cap, 0)), 0);
    memset(data.va, 0, 4096);
    CHECK_EQ(one(&q, rw(VN_BLK_READ, (capref_t)a, 0, 8, data.cap, 0)), 0);
    CHECK(same(&data, 0x55, 0, 4096));
    struct vn_blk_req fua = rw(VN_BLK_WRITE, (capref_t)a, 8, 1, data.cap, 0);
    fua.flags = VN_BLK_FUA;
    CHECK_EQ(one(&q, fua), 0);
    CHECK_EQ(one(&q, rw(VN_BLK_FLUSH, (capref_t)a, 0, 0, -1, 0)), 0);
    CHECK_EQ(one(&q, rw(VN_BLK_FLUSH, (capref_t)ro, 0, 0, -1, 0)), -E_PERM);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 8, 1, data.cap, 0)), -E_RANGE);     /* block 4008 */
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 7, 2, data.cap, 0)), -E_RANGE);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, ~0ul - 2, 8, data.cap, 0)), -E_RANGE);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)ro, 0, 8, data.cap, 0)), -E_PERM);
    CHECK_EQ(one(&q, rw(VN_BLK_READ, (capref_t)ro, 0, 8, data.cap, 0)), 0);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, 0x7fff1234, 0, 8, data.cap, 0)), -E_BADCAP);         /* forged */
    long stale = vn_blk_derive(root, 3600, 8, CR_READ | CR_WRITE);
    CHECK(stale > 0 && vn_cap_delete((capref_t)stale) == 0);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)stale, 0, 8, data.cap, 0)), -E_BADCAP);    /* stale */
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, data.cap, 0, 8, data.cap, 0)), -E_TYPE);
    long rdonly = vn_cap_derive(data.cap, CR_READ | CR_MAP);
    CHECK(rdonly > 0);
    CHECK_EQ(one(&q, rw(VN_BLK_READ, (capref_t)a, 0, 8, (capref_t)rdonly, 0)), -E_PERM);  /* device would write */
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)a, 0, 8, (capref_t)rdonly, 0)), 0);      /* it only reads */
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 0, 8, VN_CAP_ARCHIVE, 0)), -E_PERM); /* kernel memory */
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 0, 8, 0x7ffe0042, 0)), -E_BADCAP);  /* pages not ours */
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 0, 8, data.cap, BUF_PAGES)), -E_RANGE);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 0, 8, data.cap, ~0ul)), -E_RANGE);
    struct vn_blk_req r = rw(VN_BLK_WRITE, (capref_t)edge, 0, 8, data.cap, 0);
    r.npages = 2;
    CHECK_EQ(one(&q, r), -E_INVAL);
    r = rw(9, (capref_t)edge, 0, 8, data.cap, 0);
    CHECK_EQ(one(&q, r), -E_INVAL);
    r = rw(VN_BLK_READ, (capref_t)edge, 0, 8, data.cap, 0);
    r.flags = VN_BLK_FUA;
    CHECK_EQ(one(&q, r), -E_INVAL);
    r = rw(VN_BLK_WRITE, (capref_t)edge, 0, 8, data.cap, 0);
    r.rsvd[1] = 1;
    CHECK_EQ(one(&q, r), -E_INVAL);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)edge, 0, 0, data.cap, 0)), -E_INVAL);
    CHECK_EQ(one(&q, rw(VN_BLK_WRITE, (capref_t)a, 0, 513, data.cap, 0)), -E_INVAL);     /* > 64 pages */

    /* A full ring: 16 reads at once, 4 in the device at a time; a nonsense tail. */
    for (unsigned i = 0; i < NSLOTS; i++)
        put(&q, rw(VN_BLK_READ, (capref_t)a, i * 8, 8, data.cap, i % BUF_PAGES));
    long taken = vn_blk_doorbell(q.q);
    CHECK(taken >= 1 && taken <= NSLOTS);
    unsigned got = 0;
    struct vn_blk_cpl c;
    for (unsigned spins = 0; got < NSLOTS && spins < 100; spins++) {
        while (q.h->cq_head != q.cq_tail && reap(&q, &c) == 0) {
            CHECK_EQ(c.status, 0);
            got++;
        }
        vn_blk_doorbell(q.q);
        if (got < NSLOTS && reap(&q, &c) == 0) {
            CHECK_EQ(c.status, 0);
            got++;
        }
    }
    CHECK_EQ(got, NSLOTS);
    CHECK(q.h->inflight == 0 && q.h->sq_head == q.tail);
    q.h->sq_tail = q.tail + 1000;
    CHECK_EQ(vn_blk_doorbell(q.q), 0);
    q.h->sq_tail = q.tail;
    q.h->cq_tail = q.cq_tail + 5;                                           /* ahead of the kernel's head */
    put(&q, rw(VN_BLK_READ, (capref_t)a, 0, 8, data.cap, 0));
    CHECK_EQ(vn_blk_doorbell(q.q), 0);
    q.h->cq_tail = q.cq_tail;
    CHECK_EQ(vn_blk_doorbell(q.q), 1);
    CHECK(reap(&q, &c) == 0 && c.status == 0);

    /* Revoke while a write is in flight: the blocks stay busy until it lands. */
    long mid = vn_blk_derive(root, 2560, 512, CR_READ | CR_WRITE | CR_GRANT);
    CHECK(mid > 0);
    fill(&data, 0x33, 2560 * 512, 64 * 4096);
    unsigned draining = 0;
    for (unsigned tries = 0; tries < 20 && !draining; tries++) {
        long leaf = vn_blk_derive((capref_t)mid, 0, 512, CR_READ | CR_WRITE);
        CHECK(leaf > 0);
        struct vn_blk_req wr = rw(VN_BLK_WRITE, (capref_t)leaf, 0, 512, data.cap, 0), busy;
        put(&q, wr);
        CHECK_EQ(vn_blk_doorbell(q.q), 1);
        CHECK_EQ(vn_cap_revoke((capref_t)mid), 0);
        CHECK_EQ(vn_blk_info(root, &bi), 0);
        if ((draining = bi.draining) != 0) {
            /* The write may land at any moment (each entry delivers the
             * device's interrupt): an overlap is refused until then, and
             * accepted only once blk_info says nothing drains. */
            long d1 = vn_blk_derive((capref_t)mid, 100, 8, CR_READ), d2 = vn_blk_derive(root, 3000, 100, CR_READ);
            if (d1 != -E_BUSY || d2 != -E_BUSY) {
                CHECK(d1 == -E_BUSY || d1 > 0);
                CHECK(d2 > 0);      /* derived after d1: d1 refused means nothing, d2 accepted means done */
                CHECK_EQ(vn_blk_info(root, &bi), 0);
                CHECK_EQ(bi.draining, 0);
                vn_cap_delete((capref_t)d2);
                if (d1 > 0)
                    vn_cap_delete((capref_t)d1);
                draining = 0;       /* landed too soon to see the rest: again */
            } else {
                busy = rw(VN_BLK_READ, (capref_t)mid, 0, 8, small.cap, 0);
                put(&q, busy);
                CHECK_EQ(vn_blk_doorbell(q.q), 1);
            }
        }
        for (unsigned n = 0; n < (draining ? 2u : 1u); n++) {
            CHECK(reap(&q, &c) == 0);
            /* The orphan landed; the overlapping read was refused, or came
             * after it had. */
            CHECK(c.id == wr.id ? c.status == 0 : c.id == busy.id && (c.status == -E_BUSY || c.status == 0));
        }
    }
    CHECK(draining == 1);
    CHECK_EQ(vn_blk_info(root, &bi), 0);
    CHECK_EQ(bi.draining, 0);
    long again = vn_blk_derive((capref_t)mid, 100, 8, CR_READ);
    CHECK(again > 0);
    printf("blk_hostile: revoke with a write in flight: blocks busy until it completed\n");

    /* Two children on disjoint extents at once. */
    capref_t k1 = vn_spawn_share("blk_hostile", 400, 1, 0x11, (capref_t)a, CR_READ | CR_WRITE);
    capref_t k2 = vn_spawn_share("blk_hostile", 400, 2, 0x22, (capref_t)b, CR_READ | CR_WRITE);
    CHECK(k1 > 0 && k2 > 0);
    CHECK_EQ(vn_wait(k1), 0);
    CHECK_EQ(vn_wait(k2), 0);
    for (uint64_t blk = 0; blk < 2048; blk += 512) {
        CHECK_EQ(one(&q, rw(VN_BLK_READ, root, blk, 512, data.cap, 0)), 0);
        CHECK(same(&data, blk < 1024 ? 0x11 : 0x22, blk * 512, 512 * 512));
    }
    printf("blk_hostile: two children wrote disjoint extents at once, content checked\n");

    /* A child dies with writes in flight: they drain, nothing leaks. */
    long dext = vn_blk_derive(root, 3072, 512, CR_READ | CR_WRITE | CR_GRANT);
    CHECK(dext > 0);
    capref_t k3 = vn_spawn_share("blk_hostile", 400, 3, 0, (capref_t)dext, CR_READ | CR_WRITE);
    CHECK(k3 > 0);
    CHECK_EQ(vn_wait(k3), 0);
    for (unsigned t = 0; t < 500 && vn_blk_info(root, &bi) == 0 && bi.draining; t++)
        vn_env_wait(10000000ul, NULL, 0, VN_WAIT_NONE);
    CHECK_EQ(bi.draining, 0);
    CHECK_EQ(one(&q, rw(VN_BLK_READ, (capref_t)dext, 0, 512, data.cap, 0)), 0);
    CHECK(same(&data, 0x44, 3072 * 512, 64 * 4096));
    printf("blk_hostile: a child died with writes in flight; they drained\n");

    CHECK_EQ(vn_cap_delete(q.q), 0);
    CHECK_EQ(vn_blk_doorbell(q.q), -E_BADCAP);
    CHECK_EQ(one(&q, rw(VN_BLK_FLUSH, root, 0, 0, -1, 0)), -E_BADCAP);
    vn_cap_delete(q.ring);
    vn_cap_delete(q.word);
    vn_cap_delete(data.cap);
    vn_cap_delete(small.cap);
    vn_cap_delete((capref_t)rdonly);
    vn_cap_delete((capref_t)w);
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK + 8);
    int status = check_done("blk_hostile");
    vn_env_wait(3000000000ul, NULL, 0, VN_WAIT_NONE);  /* the host's check starts (blk_hostile.t) */
    return status;
}
