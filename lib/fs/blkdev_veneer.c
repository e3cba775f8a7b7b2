/*
 * Block device back end on Veneer: a CAP_BLK extent driven through a
 * CAP_BLKQ request queue over a ring of our own pages
 * (include/veneer/blk.h, docs/storage.md).  Built only into native
 * programs (fsd), never into the host tests.
 *
 * The device's blocks (512 or 4096 bytes) are grouped into the file
 * system's block (block_size, a multiple of them).  Data moves through a
 * staging area of our own pages, cut into VB_SLOTS slots of VB_SLOT_PAGES
 * pages each; a request uses one slot, so up to VB_SLOTS requests are in
 * the device at once:
 *
 *   write:  copy into a free slot, submit, return (the write is "posted":
 *           like a drive's volatile cache, it is durable only after a flush)
 *   read:   wait for posted writes overlapping the range, then read through
 *           a slot and wait for it
 *   flush:  wait for every posted write, then VN_BLK_FLUSH and wait
 *   FUA:    wait for every posted write, then a VN_BLK_FUA write and wait
 *           (the journal's commit block: durable without a second flush)
 *
 * Two writes of the same block are never in the device at once (NVMe may
 * complete them in any order), and a flush is submitted only when nothing
 * is in flight, so writes are never reordered across a flush.  A posted
 * write that fails makes the device fail: that and every later call
 * return -EIO (the journal stops at its first error anyway).  Every wait
 * is bounded (VB_WAIT_NS per completion); a device that does not answer
 * counts as failed, and its slots are never reused.
 *
 * Two homes serve the ring, and nothing above this file sees which: the
 * kernel (ext is a CAP_BLK) or a user-level driver environment (ext is a
 * badged endpoint to user/blkd.c); lib/libveneer/blk_home.c makes the
 * three calls either way.  The ring, its requests and the completion word
 * are the same in both; after a driver environment's restart the
 * requests it lost are submitted again here.
 */
#include "blkdev_veneer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blk_home.h>
#include <vn.h>
#include <veneer/syscall.h>

#define VB_SLOTS       16           /* requests in flight */
#define VB_SLOT_PAGES  16           /* 64 KiB a request */
#define VB_NSLOTS      64           /* ring entries (> VB_SLOTS) */
#define VB_WAIT_NS     30000000000ull   /* one completion: 30 s (a loaded TCG host) */
#define VB_PAGE        4096u

struct vb_slot {
    int busy;
    uint64_t id;                    /* the request's */
    uint8_t op, flags;
    uint64_t blk;                   /* file-system blocks [blk, blk + n) */
    uint32_t n;
    uint32_t pos;                   /* its index in the submission ring */
    int32_t status;                 /* the completion's (0 or -E_*) */
};

struct blkdev_veneer {
    struct blkdev dev;
    capref_t ext, q, word, ring_cap, data_cap;
    capref_t ep;                    /* the driver environment's endpoint (ext), or -1: the kernel */
    uint64_t epoch;                 /* the driver environment's instance (0: not seen yet) */
    uint32_t per;                   /* device blocks per block */
    volatile struct vn_blkq_hdr *h;
    volatile struct vn_blk_req *sq;
    volatile struct vn_blk_cpl *cq;
    uint32_t sq_tail, cq_tail;
    uint8_t *data;                  /* VB_SLOTS * VB_SLOT_PAGES pages */
    struct vb_slot slot[VB_SLOTS];
    int nbusy;
    uint64_t seq;
    int failed;                     /* sticky -EIO */
    struct blkdev_veneer_stats st;
};

/* Writes slot i's request at the ring's tail. */
static void vb_put(struct blkdev_veneer *v, int i)
{
    struct vb_slot *sl = &v->slot[i];
    struct vn_blk_req r = {.id = sl->id, .op = sl->op, .flags = sl->flags, .extent = v->ext, .pages = -1};
    if (sl->op != VN_BLK_FLUSH) {
        r.npages = (uint16_t)(((uint64_t)sl->n * v->dev.block_size + VB_PAGE - 1) / VB_PAGE);
        r.block = sl->blk * v->per;
        r.nblocks = sl->n * v->per;
        r.pages = v->data_cap;
        r.page_index = (uint64_t)i * VB_SLOT_PAGES;
    }
    sl->pos = v->sq_tail;
    memcpy((void *)&v->sq[v->sq_tail % VB_NSLOTS], &r, sizeof(r));
    __atomic_store_n(&v->h->sq_tail, ++v->sq_tail, __ATOMIC_RELEASE);
}

/* A new driver instance took requests from ring index start on: submit
 * again every request written before it that has no completion (posted
 * ones, not yet consumed, are left to vb_reap). */
static void vb_resubmit(struct blkdev_veneer *v, uint32_t start)
{
    uint32_t head = __atomic_load_n(&v->h->cq_head, __ATOMIC_ACQUIRE);
    for (int i = 0; i < VB_SLOTS; i++) {
        if (!v->slot[i].busy || (int32_t)(v->slot[i].pos - start) >= 0)
            continue;
        bool posted = false;
        for (uint32_t c = v->cq_tail; c != head && (uint32_t)(c - v->cq_tail) < VB_NSLOTS && !posted; c++)
            posted = v->cq[c % VB_NSLOTS].id == v->slot[i].id;
        if (!posted) {
            vb_put(v, i);
            v->st.resubmitted++;
        }
    }
}

/* The doorbell of either home: requests taken, or a negative E_*.  A
 * driver environment's reply names its instance: after a restart the
 * requests it lost are submitted again. */
static long vb_doorbell(struct blkdev_veneer *v)
{
    if (v->ep < 0)
        return vn_blk_doorbell(v->q);
    for (int round = 0; round < 4; round++) {
        uint64_t epoch = 0;
        uint32_t start = 0;
        long r = blk_home_doorbell(v->ep, v->q, &epoch, &start);
        if (r < 0)
            return r;
        if (!v->epoch)
            v->epoch = epoch;
        if (epoch == v->epoch)
            return r;
        v->epoch = epoch;
        uint64_t before = v->st.resubmitted;
        vb_resubmit(v, start);
        printf("blkdev: the driver environment restarted (epoch %lu): %lu requests re-submitted\n",
               (unsigned long)v->epoch, (unsigned long)(v->st.resubmitted - before));
    }
    return 0;
}

static uint8_t *slot_data(struct blkdev_veneer *v, int i)
{
    return v->data + (uint64_t)i * VB_SLOT_PAGES * VB_PAGE;
}

/* Takes one completion (waiting up to VB_WAIT_NS) and frees its slot.
 * Returns the slot, or -EIO (timeout or a completion we did not ask for:
 * the device is failed from then on). */
static int vb_reap(struct blkdev_veneer *v)
{
    uint64_t until = vn_clock_ns() + VB_WAIT_NS;
    while (__atomic_load_n(&v->h->cq_head, __ATOMIC_ACQUIRE) == v->cq_tail) {
        if (vn_clock_ns() > until) {
            v->failed = -EIO;
            return -EIO;
        }
        /* Requests left in the ring for lack of room: offer them again. */
        if (__atomic_load_n(&v->h->sq_head, __ATOMIC_ACQUIRE) != v->sq_tail || v->ep >= 0)
            vb_doorbell(v);             /* a driver environment: also to learn of a restart */
        vn_notify_wait(v->word, 10000000ull);
    }
    volatile struct vn_blk_cpl *c = &v->cq[v->cq_tail % VB_NSLOTS];
    uint64_t id = c->id;
    int32_t status = c->status;
    __atomic_store_n(&v->h->cq_tail, ++v->cq_tail, __ATOMIC_RELEASE);
    int i = (int)(id % VB_SLOTS);
    if (!v->slot[i].busy || v->slot[i].id != id) {
        v->failed = -EIO;
        return -EIO;
    }
    v->slot[i].busy = 0;
    v->slot[i].status = status;
    v->nbusy--;
    if (status) {
        v->st.errors++;
        v->failed = -EIO;
    }
    return i;
}

/* Reaps until slot i is free.  Errors: -EIO. */
static int vb_wait_slot(struct blkdev_veneer *v, int i)
{
    while (v->slot[i].busy)
        if (vb_reap(v) < 0)
            return -EIO;
    return v->failed;
}

static int vb_overlaps(const struct vb_slot *s, uint64_t blk, uint32_t n)
{
    return s->busy && s->op == VN_BLK_WRITE && s->blk < blk + n && blk < s->blk + s->n;
}

/* Waits for every posted write overlapping [blk, blk + n).  Errors: -EIO. */
static int vb_wait_overlap(struct blkdev_veneer *v, uint64_t blk, uint32_t n)
{
    for (int i = 0; i < VB_SLOTS; i++)
        if (vb_overlaps(&v->slot[i], blk, n) && vb_wait_slot(v, i))
            return -EIO;
    return v->failed;
}

/* A free slot, reaping completions until one is.  Errors: -EIO. */
static int vb_free_slot(struct blkdev_veneer *v)
{
    for (;;) {
        for (int i = 0; i < VB_SLOTS; i++)
            if (!v->slot[i].busy)
                return i;
        int r = vb_reap(v);
        if (r < 0)
            return r;
    }
}

/* Puts a request for slot i in the ring and rings the doorbell.  A
 * doorbell error (the queue is gone) fails the device. */
static int vb_submit(struct blkdev_veneer *v, int i, uint8_t op, uint8_t flags, uint64_t blk, uint32_t n)
{
    uint64_t id = ++v->seq * VB_SLOTS + (uint64_t)i;
    v->slot[i] = (struct vb_slot){.busy = 1, .id = id, .op = op, .flags = flags, .blk = blk, .n = n};
    v->nbusy++;
    vb_put(v, i);
    long t = vb_doorbell(v);
    if (t < 0) {
        v->failed = -EIO;
        return -EIO;
    }
    v->st.requests++;
    if (v->nbusy > (int)v->st.max_inflight)
        v->st.max_inflight = (uint32_t)v->nbusy;
    return 0;
}

static uint32_t vb_chunk(struct blkdev_veneer *v, uint32_t n)
{
    uint32_t max = VB_SLOT_PAGES * VB_PAGE / v->dev.block_size;
    return n < max ? n : max;
}

static int vb_read(struct blkdev *d, uint64_t blk, uint32_t n, void *buf)
{
    struct blkdev_veneer *v = (struct blkdev_veneer *)d;
    uint8_t *out = buf;
    if (v->failed || vb_wait_overlap(v, blk, n))
        return -EIO;
    while (n) {
        uint32_t k = vb_chunk(v, n);
        int i = vb_free_slot(v);
        if (i < 0 || vb_submit(v, i, VN_BLK_READ, 0, blk, k) || vb_wait_slot(v, i))
            return -EIO;
        memcpy(out, slot_data(v, i), (size_t)k * d->block_size);
        out += (size_t)k * d->block_size;
        blk += k;
        n -= k;
    }
    return 0;
}

static int vb_write(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    struct blkdev_veneer *v = (struct blkdev_veneer *)d;
    const uint8_t *in = buf;
    if (v->failed || vb_wait_overlap(v, blk, n))
        return -EIO;
    while (n) {
        uint32_t k = vb_chunk(v, n);
        int i = vb_free_slot(v);
        if (i < 0)
            return -EIO;
        memcpy(slot_data(v, i), in, (size_t)k * d->block_size);
        if (vb_submit(v, i, VN_BLK_WRITE, 0, blk, k))
            return -EIO;
        in += (size_t)k * d->block_size;
        blk += k;
        n -= k;
    }
    return 0;
}

/* Every posted write completes first, then one FLUSH. */
static int vb_flush(struct blkdev *d)
{
    struct blkdev_veneer *v = (struct blkdev_veneer *)d;
    while (v->nbusy && !v->failed)
        if (vb_reap(v) < 0)
            return -EIO;
    if (v->failed)
        return -EIO;
    if (vb_submit(v, 0, VN_BLK_FLUSH, 0, 0, 0) || vb_wait_slot(v, 0))
        return -EIO;
    v->st.flushes++;
    return 0;
}

/* A FUA write: after every posted write has completed (so it is not
 * reordered with them), durable when it returns. */
static int vb_write_fua(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    struct blkdev_veneer *v = (struct blkdev_veneer *)d;
    const uint8_t *in = buf;
    while (v->nbusy && !v->failed)
        if (vb_reap(v) < 0)
            return -EIO;
    if (v->failed)
        return -EIO;
    while (n) {
        uint32_t k = vb_chunk(v, n);
        memcpy(slot_data(v, 0), in, (size_t)k * d->block_size);
        if (vb_submit(v, 0, VN_BLK_WRITE, VN_BLK_FUA, blk, k) || vb_wait_slot(v, 0))
            return -EIO;
        v->st.fua_writes++;
        in += (size_t)k * d->block_size;
        blk += k;
        n -= k;
    }
    return 0;
}

/* Waits (bounded) for what is in flight, then closes the queue; the
 * pages are freed only if nothing can still land in them. */
static void vb_close(struct blkdev *d)
{
    struct blkdev_veneer *v = (struct blkdev_veneer *)d;
    while (v->nbusy && vb_reap(v) >= 0)
        ;
    if (v->ep < 0)
        vn_cap_delete(v->q);            /* the driver environment's queue goes with our grants */
    vn_cap_delete(v->word);
    if (!v->nbusy) {
        vn_cap_delete(v->ring_cap);
        vn_cap_delete(v->data_cap);
    }
    free(v);
}

static const struct blkdev_ops vb_ops = { vb_read, vb_write, vb_flush, vb_close, vb_write_fua };

/* npages fresh pages named by one capability, mapped writable.  Returns
 * their address, or NULL. */
static uint8_t *vb_pages(uint64_t npages, capref_t *cap)
{
    struct vn_map_entry m[16];
    long p = vn_page_alloc(CAP_SELF, 0, npages);
    if (p < 0)
        return NULL;
    uint64_t va = vn_va_reserve(npages);
    for (uint64_t i = 0; i < npages; i += 16) {
        uint64_t k = npages - i < 16 ? npages - i : 16;
        for (uint64_t j = 0; j < k; j++)
            m[j] = (struct vn_map_entry){va + (i + j) * VB_PAGE, (capref_t)p, VM_PROT_WRITE, i + j};
        if (vn_page_map(CAP_SELF, m, k) != (long)k) {
            vn_cap_delete((capref_t)p);
            return NULL;
        }
    }
    *cap = (capref_t)p;
    return (uint8_t *)va;
}

/* Contract in blkdev_veneer.h. */
int blkdev_veneer_open(capref_t ext, uint32_t block_size, struct blkdev **out)
{
    struct vn_blkinfo bi;
    capref_t ep;
    if (blk_home_info(ext, &ep, &bi) != 0)
        return -EINVAL;
    if (bi.block_size == 0 || block_size < bi.block_size || block_size % bi.block_size ||
        block_size > VB_SLOT_PAGES * VB_PAGE || (block_size & (block_size - 1)))
        return -EINVAL;
    struct blkdev_veneer *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->ext = ext;
    v->ep = ep;
    v->per = block_size / bi.block_size;
    v->dev.ops = &vb_ops;
    v->dev.block_size = block_size;
    v->dev.nblocks = bi.count / v->per;
    v->q = v->word = v->ring_cap = v->data_cap = -1;
    long w = vn_notify_create();
    uint8_t *ring = w < 0 ? NULL : vb_pages(VN_BLKQ_PAGES(VB_NSLOTS), &v->ring_cap);
    v->word = (capref_t)w;
    v->data = ring ? vb_pages((uint64_t)VB_SLOTS * VB_SLOT_PAGES, &v->data_cap) : NULL;
    if (!v->data) {
        if (ring)
            vn_cap_delete(v->ring_cap);
        if (w >= 0)
            vn_cap_delete((capref_t)w);
        free(v);
        return -ENOMEM;
    }
    struct vn_blkq_req qr = {.ring = v->ring_cap, .notify = v->word, .bits = 1, .nslots = VB_NSLOTS,
                             .inflight = VB_SLOTS};
    long q = blk_home_queue(v->ext, v->ep, v->data_cap, &qr);
    if (q < 0) {
        vn_cap_delete(v->data_cap);
        vn_cap_delete(v->ring_cap);
        vn_cap_delete(v->word);
        free(v);
        return q == -E_NOMEM || q == -E_QUOTA || q == -E_NOSPC ? -ENOMEM : -EIO;
    }
    v->q = (capref_t)q;
    v->h = (volatile struct vn_blkq_hdr *)ring;
    v->sq = (volatile struct vn_blk_req *)(ring + VB_PAGE);
    v->cq = (volatile struct vn_blk_cpl *)(ring + VB_PAGE * (1 + (VB_NSLOTS + VN_BLKQ_SQ_PER_PAGE - 1) /
                                                               VN_BLKQ_SQ_PER_PAGE));
    v->st.volatile_cache = (bi.flags & VN_BLK_VOLATILE_CACHE) != 0;
    *out = &v->dev;
    return 0;
}

/* Contract in blkdev_veneer.h. */
int blkdev_veneer_probe_past_end(struct blkdev *d, int32_t *rd, int32_t *wr)
{
    struct blkdev_veneer *v = (struct blkdev_veneer *)d;
    int32_t *out[2] = {rd, wr};
    while (v->nbusy && vb_reap(v) >= 0)
        ;
    if (v->failed)
        return -EIO;
    memset(slot_data(v, 0), 0xee, VB_PAGE);
    for (int k = 0; k < 2; k++) {
        if (vb_submit(v, 0, k ? VN_BLK_WRITE : VN_BLK_READ, k ? VN_BLK_FUA : 0, d->nblocks, 1) ||
            vb_wait_slot(v, 0) == -EIO) {
            if (v->slot[0].busy)
                return -EIO;                    /* no completion: the device has failed */
        }
        *out[k] = v->slot[0].status;
        if (v->slot[0].status) {                /* the refusal expected: not a device failure */
            v->failed = 0;
            v->st.errors--;
        }
    }
    return 0;
}

void blkdev_veneer_get_stats(struct blkdev *d, struct blkdev_veneer_stats *st)
{
    *st = ((struct blkdev_veneer *)d)->st;
}
