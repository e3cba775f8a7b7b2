/*
 * The table of block devices the drivers of one home registered at probe
 * (blkdev.h), filled as they probe and never shrunk: compiled into the
 * kernel (guarded by the kernel lock) and into each program with a
 * user-level home (guarded by its one thread).
 */
#include "blkdev.h"

static struct {
    unsigned n;
    struct blkdev *dev[BLKDEV_MAX];
} blkdevs;                          /* the home's serialisation */

int blkdev_register(struct blkdev *bd)
{
    if (blkdevs.n == BLKDEV_MAX)
        return -E_NOSPC;
    blkdevs.dev[blkdevs.n++] = bd;
    return 0;
}

struct blkdev *blkdev_find(unsigned i) { return i < blkdevs.n ? blkdevs.dev[i] : NULL; }
