/*
 * The SR-IOV back end of blkdev.h: an NVMe virtual function this program
 * drives itself (blkdev_vf.c has the design).  Only for native Veneer
 * programs linked with the user-level home (libdrv.a).
 */
#ifndef VENEER_FS_BLKDEV_VF_H
#define VENEER_FS_BLKDEV_VF_H

#include <stdint.h>

#include "blkdev.h"

/* A block device of block_size bytes (a power of two, a multiple of the
 * namespace's block, at most 64 KiB) on the one namespace of VF
 * capability dev.  One per program.  Errors: -EINVAL (a bad block size),
 * -EBUSY (one open already), -ENODEV (not a VF with exactly one
 * namespace, or the attach failed), -ENOMEM. */
int blkdev_vf_open(uint64_t dev, uint32_t block_size, struct blkdev **out);
/* The namespace's id and the requests run so far. */
uint32_t blkdev_vf_nsid(struct blkdev *d);
uint64_t blkdev_vf_requests(struct blkdev *d);

#endif
