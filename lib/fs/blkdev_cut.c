/*
 * Power-cut simulation (contract in blkdev.h): a volatile write cache in
 * front of another back end, and a point after which power is gone.
 *
 * The held writes are an array in arrival order (one entry per block);
 * a read takes the newest held copy of its block (a backwards scan: the
 * buffer cache above absorbs most reads, and the tests hold at most a few
 * thousand writes between flushes).  Flush applies them in order to the
 * lower device and flushes it.  After the cut nothing reaches the lower
 * device again, except what blkdev_cut_power_off() decides to keep of the
 * writes held at that moment (drives may have written any of them).
 */
#include "blkdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct held {
    uint64_t blk;
    uint8_t *data;
};

struct blkdev_cut {
    struct blkdev dev;
    struct blkdev *lower;
    struct held *held;
    size_t nheld, cap;
    uint64_t numbered;          /* writes numbered so far */
    uint64_t cut_after;         /* 0: not armed */
    int torn;
    int dead;                   /* power is off */
};

static int cut_hold(struct blkdev_cut *c, uint64_t blk, const uint8_t *src, uint32_t bytes)
{
    uint8_t *copy;

    if (c->nheld == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct held *h = realloc(c->held, ncap * sizeof(*h));
        if (!h)
            return -ENOMEM;
        c->held = h;
        c->cap = ncap;
    }
    copy = malloc(c->dev.block_size);
    if (!copy)
        return -ENOMEM;
    if (bytes < c->dev.block_size) {            /* torn: the rest is the old block */
        int r = c->dev.ops->read(&c->dev, blk, 1, copy);
        if (r) {
            free(copy);
            return r;
        }
    }
    memcpy(copy, src, bytes);
    c->held[c->nheld].blk = blk;
    c->held[c->nheld].data = copy;
    c->nheld++;
    return 0;
}

static int cut_read(struct blkdev *d, uint64_t blk, uint32_t n, void *buf)
{
    struct blkdev_cut *c = (struct blkdev_cut *)d;
    int r = blkdev_read(c->lower, blk, n, buf);

    if (r)
        return r;
    for (uint32_t i = 0; i < n; i++)
        for (size_t k = c->nheld; k-- > 0;)
            if (c->held[k].blk == blk + i) {
                memcpy((uint8_t *)buf + (size_t)i * d->block_size, c->held[k].data, d->block_size);
                break;
            }
    return 0;
}

static int cut_write(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    struct blkdev_cut *c = (struct blkdev_cut *)d;

    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *src = (const uint8_t *)buf + (size_t)i * d->block_size;
        uint32_t bytes = d->block_size;
        int r;

        if (c->dead)
            return 0;
        c->numbered++;
        if (c->cut_after && c->numbered > c->cut_after) {
            c->dead = 1;
            if (!c->torn)
                return 0;
            bytes = d->block_size / 2;
        }
        r = cut_hold(c, blk + i, src, bytes);
        if (r)
            return r;
    }
    return 0;
}

/* Applies the held writes selected by keep (all when keep_all) to lower. */
static int cut_apply(struct blkdev_cut *c, int keep_all, uint64_t keep_mask)
{
    int r = 0;

    for (size_t k = 0; k < c->nheld; k++) {
        if (!r && (keep_all || (k < 64 && (keep_mask >> k) & 1)))
            r = blkdev_write(c->lower, c->held[k].blk, 1, c->held[k].data);
        free(c->held[k].data);
    }
    c->nheld = 0;
    return r ? r : blkdev_flush(c->lower);
}

static int cut_flush(struct blkdev *d)
{
    struct blkdev_cut *c = (struct blkdev_cut *)d;

    if (c->dead)
        return 0;
    return cut_apply(c, 1, 0);
}

static void cut_close(struct blkdev *d)
{
    struct blkdev_cut *c = (struct blkdev_cut *)d;

    for (size_t k = 0; k < c->nheld; k++)
        free(c->held[k].data);
    free(c->held);
    blkdev_close(c->lower);
    free(c);
}

static const struct blkdev_ops cut_ops = { cut_read, cut_write, cut_flush, cut_close, NULL };

/* Contract in blkdev.h.  Errors: -ENOMEM. */
int blkdev_cut_wrap(struct blkdev *lower, struct blkdev **out)
{
    struct blkdev_cut *c = calloc(1, sizeof(*c));

    if (!c)
        return -ENOMEM;
    c->dev.ops = &cut_ops;
    c->dev.block_size = lower->block_size;
    c->dev.nblocks = lower->nblocks;
    c->lower = lower;
    *out = &c->dev;
    return 0;
}

void blkdev_cut_arm(struct blkdev *d, uint64_t cut_after, int torn)
{
    struct blkdev_cut *c = (struct blkdev_cut *)d;

    c->cut_after = cut_after;
    c->torn = torn;
}

uint64_t blkdev_cut_writes(struct blkdev *d)
{
    return ((struct blkdev_cut *)d)->numbered;
}

/* Ends the volatile cache as the power cut would (see blkdev.h); later
 * writes and flushes are lost.  Errors: those of the lower device. */
int blkdev_cut_power_off(struct blkdev *d, enum blkdev_cut_keep keep, uint64_t keep_mask)
{
    struct blkdev_cut *c = (struct blkdev_cut *)d;
    int r;

    c->dead = 0;            /* let cut_apply reach lower once */
    r = cut_apply(c, keep == CUT_KEEP_UNFLUSHED, keep == CUT_KEEP_MASK ? keep_mask : 0);
    c->dead = 1;
    return r;
}
