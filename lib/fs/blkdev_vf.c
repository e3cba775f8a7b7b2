/*
 * Block device back end: one NVMe virtual function, driven directly by
 * this program (Arrakis's storage path; docs/devices.md, "One device,
 * several drivers").  The manager (user/vfmgr.c) enabled the VF, brought
 * its controller online with one private namespace and granted the
 * program its device capability; vf_io.c attaches it with drivers/nvme in
 * the user-level home and moves the blocks.  The kernel is on neither
 * the submission nor the completion path, only the interrupt's delivery.
 *
 * The two halves are separate files because each needs a different
 * `struct blkdev` (this one lib/fs's, vf_io.c the driver interface's).
 * A write with FUA is a write and a flush (the user home's synchronous
 * request has no FUA flag); every failure of the VF becomes -EIO.
 */
#include "blkdev_vf.h"
#include "vf_io.h"

#include <errno.h>

struct blkdev_vf {
    struct blkdev dev;
    struct vf_io *io;
    uint32_t nsid;
};

static struct blkdev_vf vf_one;     /* vf_io drives one VF per program */

/* blkdev.h checked the range already: any failure left is the device's. */
static int vf_err(int r)
{
    return r == 0 ? 0 : -EIO;
}

static int vf_read(struct blkdev *d, uint64_t blk, uint32_t n, void *buf)
{
    struct blkdev_vf *v = (struct blkdev_vf *)d;
    return vf_err(vf_io_read(v->io, blk * d->block_size, (uint64_t)n * d->block_size, buf));
}

static int vf_write(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    struct blkdev_vf *v = (struct blkdev_vf *)d;
    return vf_err(vf_io_write(v->io, blk * d->block_size, (uint64_t)n * d->block_size, buf));
}

static int vf_flush(struct blkdev *d)
{
    return vf_err(vf_io_flush(((struct blkdev_vf *)d)->io));
}

static void vf_close(struct blkdev *d)
{
    struct blkdev_vf *v = (struct blkdev_vf *)d;
    vf_io_close(v->io);
    v->io = 0;
}

static const struct blkdev_ops vf_ops = { vf_read, vf_write, vf_flush, vf_close, 0 };

/* Contract in blkdev_vf.h. */
int blkdev_vf_open(uint64_t dev, uint32_t block_size, struct blkdev **out)
{
    struct blkdev_vf *v = &vf_one;
    uint64_t bytes;
    uint32_t nsbs;
    if (block_size < 512 || block_size > 65536 || (block_size & (block_size - 1)))
        return -EINVAL;
    if (v->io)
        return -EBUSY;
    int r = vf_io_open(dev, &v->io, &bytes, &nsbs, &v->nsid);
    if (r < 0) {
        v->io = 0;
        return -ENODEV;
    }
    if (block_size % nsbs) {
        vf_io_close(v->io);
        v->io = 0;
        return -EINVAL;
    }
    v->dev = (struct blkdev){.ops = &vf_ops, .block_size = block_size, .nblocks = bytes / block_size};
    *out = &v->dev;
    return 0;
}

uint32_t blkdev_vf_nsid(struct blkdev *d) { return ((struct blkdev_vf *)d)->nsid; }
uint64_t blkdev_vf_requests(struct blkdev *d) { return vf_io_requests(((struct blkdev_vf *)d)->io); }
