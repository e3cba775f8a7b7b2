/*
 * Block device back end: blocks in memory (tests, a RAM disk).  Flush has
 * nothing to do: memory is as durable as this device gets.
 */
#include "blkdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct blkdev_mem {
    struct blkdev dev;
    uint8_t *bytes;
};

static int mem_read(struct blkdev *d, uint64_t blk, uint32_t n, void *buf)
{
    memcpy(buf, ((struct blkdev_mem *)d)->bytes + blk * d->block_size, (size_t)n * d->block_size);
    return 0;
}

static int mem_write(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    memcpy(((struct blkdev_mem *)d)->bytes + blk * d->block_size, buf, (size_t)n * d->block_size);
    return 0;
}

static int mem_flush(struct blkdev *d)
{
    (void)d;
    return 0;
}

static void mem_close(struct blkdev *d)
{
    free(((struct blkdev_mem *)d)->bytes);
    free(d);
}

static const struct blkdev_ops mem_ops = { mem_read, mem_write, mem_flush, mem_close, NULL };

/* Contract in blkdev.h. */
int blkdev_mem_create(uint32_t block_size, uint64_t nblocks, struct blkdev **out)
{
    struct blkdev_mem *m;

    if (block_size < 512 || (block_size & (block_size - 1)) || !nblocks ||
        nblocks > (SIZE_MAX / 2) / block_size)
        return -EINVAL;
    m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->bytes = calloc(nblocks, block_size);
    if (!m->bytes) {
        free(m);
        return -ENOMEM;
    }
    m->dev.ops = &mem_ops;
    m->dev.block_size = block_size;
    m->dev.nblocks = nblocks;
    *out = &m->dev;
    return 0;
}

uint8_t *blkdev_mem_bytes(struct blkdev *d)
{
    return ((struct blkdev_mem *)d)->bytes;
}
