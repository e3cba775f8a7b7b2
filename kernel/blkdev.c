/*
 * The table of block devices the kernel's drivers registered at probe
 * (blkdev.h), filled at boot under the kernel lock and never shrunk.
 */
#include "blkdev.h"

static struct {
    unsigned n;
    struct blkdev *dev[BLKDEV_MAX];
} blkdevs;                          /* kernel lock */

int blkdev_register(struct blkdev *bd)
{
    if (blkdevs.n == BLKDEV_MAX)
        return -E_NOSPC;
    blkdevs.dev[blkdevs.n++] = bd;
    return 0;
}

struct blkdev *blkdev_find(unsigned i)
{
    return i < blkdevs.n ? blkdevs.dev[i] : NULL;
}
