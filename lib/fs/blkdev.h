/*
 * The block device under lib/fs: whole blocks, read, written and flushed.
 *
 * One interface per back end (the io_manager of libext2fs sits above it,
 * in extfs_io.c, behind the buffer cache): a back end fills a struct
 * blkdev_ops and embeds a struct blkdev as its first member.  Back ends
 * now: a host file (blkdev_file.c, for host tests and tools), memory
 * (blkdev_mem.c), a power-cut simulator wrapped around either
 * (blkdev_cut.c), and, in native Veneer programs only, an extent
 * capability through the kernel's block request ring (blkdev_veneer.c,
 * include/veneer/blk.h).
 *
 * Contract for every back end:
 * - read/write move n whole blocks at block number blk; blk + n beyond
 *   nblocks is -EINVAL, a device failure -EIO; nothing is partly done
 *   on -EINVAL.
 * - A completed write may still sit in a volatile cache: only after a
 *   flush that returns 0 are all writes completed before it durable.
 *   Writes are never reordered with respect to a flush.
 * - Errors are negative Linux errno values (the POSIX libOS's).
 * - Not thread-safe: the caller (the file system) serialises.
 */
#ifndef VENEER_FS_BLKDEV_H
#define VENEER_FS_BLKDEV_H

#include <stdint.h>

struct blkdev;

struct blkdev_ops {
    int (*read)(struct blkdev *d, uint64_t blk, uint32_t n, void *buf);
    int (*write)(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf);
    int (*flush)(struct blkdev *d);
    void (*close)(struct blkdev *d);        /* frees d; no implied flush */
    /* Optional: a write that is durable when it returns and is not
     * reordered with the writes before it (NVMe's FUA after the earlier
     * writes complete).  NULL: blkdev_write_fua writes, then flushes. */
    int (*write_fua)(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf);
};

struct blkdev {
    const struct blkdev_ops *ops;
    uint32_t block_size;                    /* bytes, a power of two >= 512 */
    uint64_t nblocks;
    uint64_t nreads, nwrites, nflushes;     /* blocks read/written, flushes */
};

static inline int blkdev_read(struct blkdev *d, uint64_t blk, uint32_t n, void *buf)
{
    if (blk > d->nblocks || n > d->nblocks - blk)
        return -22;                         /* EINVAL */
    d->nreads += n;
    return d->ops->read(d, blk, n, buf);
}

static inline int blkdev_write(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    if (blk > d->nblocks || n > d->nblocks - blk)
        return -22;
    d->nwrites += n;
    return d->ops->write(d, blk, n, buf);
}

static inline int blkdev_flush(struct blkdev *d)
{
    d->nflushes++;
    return d->ops->flush(d);
}

/* A write durable on return: the back end's FUA write, or write + flush. */
static inline int blkdev_write_fua(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    if (!d->ops->write_fua) {
        int r = blkdev_write(d, blk, n, buf);
        return r ? r : blkdev_flush(d);
    }
    if (blk > d->nblocks || n > d->nblocks - blk)
        return -22;
    d->nwrites += n;
    return d->ops->write_fua(d, blk, n, buf);
}

static inline void blkdev_close(struct blkdev *d)
{
    if (d)
        d->ops->close(d);
}

/* A host file of nblocks blocks (created or extended to that size when
 * nblocks is nonzero; 0 takes the file's size).  Flush is fdatasync.
 * Errors: -errno of open/ftruncate, -EINVAL (size not a multiple). */
int blkdev_file_open(const char *path, uint32_t block_size, uint64_t nblocks, struct blkdev **out);

/* nblocks zeroed blocks in memory; blkdev_mem_bytes gives the image.
 * Errors: -EINVAL, -ENOMEM. */
int blkdev_mem_create(uint32_t block_size, uint64_t nblocks, struct blkdev **out);
uint8_t *blkdev_mem_bytes(struct blkdev *d);

/*
 * Power-cut simulation around `lower` (which it owns and closes): a drive
 * with a volatile write cache.  Writes are held in order until a flush
 * applies them to lower (and flushes it); reads see them.  Writes are
 * numbered from 1 (one number per block).  Once armed with cut_after N,
 * write number N+1 and everything after it are lost (power is off: writes
 * and flushes still return 0, as a dying drive's would not be noticed);
 * with torn set, write N+1 lands half (its first half-block over the old
 * contents).  blkdev_cut_power_off() then ends the cache: the held writes
 * are dropped, or kept (all, or the ones whose bit in keep_mask is set,
 * counting from the oldest), and lower holds the image after the cut.
 */
enum blkdev_cut_keep { CUT_DROP_UNFLUSHED, CUT_KEEP_UNFLUSHED, CUT_KEEP_MASK };
int blkdev_cut_wrap(struct blkdev *lower, struct blkdev **out);
void blkdev_cut_arm(struct blkdev *d, uint64_t cut_after, int torn);
uint64_t blkdev_cut_writes(struct blkdev *d);    /* writes numbered so far */
int blkdev_cut_power_off(struct blkdev *d, enum blkdev_cut_keep keep, uint64_t keep_mask);

#endif
