/*
 * The Veneer back end of blkdev.h: a CAP_BLK extent through a CAP_BLKQ
 * request queue of our own (blkdev_veneer.c has the design).  Only for
 * native Veneer programs: it makes Veneer system calls.
 */
#ifndef VENEER_FS_BLKDEV_VENEER_H
#define VENEER_FS_BLKDEV_VENEER_H

#include <stdint.h>
#include <veneer/cap.h>

#include "blkdev.h"

struct blkdev_veneer_stats {
    uint64_t requests, flushes, fua_writes, errors;
    uint64_t resubmitted;           /* after a driver environment's restart */
    uint32_t max_inflight;          /* most requests in the device at once */
    int volatile_cache;             /* the device needs flushes (VN_BLK_VOLATILE_CACHE) */
};

/* A block device of block_size bytes (a power of two, a multiple of the
 * device's block, at most 64 KiB) on extent ext (CR_READ, and CR_WRITE
 * to write), with a queue, its ring and its staging pages of our own.
 * Errors: -EINVAL (not an extent, a bad block size), -ENOMEM (pages,
 * quota), -EIO (the queue was refused). */
int blkdev_veneer_open(capref_t ext, uint32_t block_size, struct blkdev **out);
void blkdev_veneer_get_stats(struct blkdev *d, struct blkdev_veneer_stats *st);

/* A hostile check of the kernel, for the owner of an extent shared out of
 * a namespace: a read and a FUA write of the block just past the extent's
 * end (another owner's, or past the namespace), which the kernel must
 * refuse; their completions' status in *rd and *wr (0: accepted, which
 * is a kernel bug).  Returns 0, or -EIO if the device had failed or did
 * not answer. */
int blkdev_veneer_probe_past_end(struct blkdev *d, int32_t *rd, int32_t *wr);

#endif
