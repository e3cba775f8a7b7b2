/*
 * The driver half of lib/fs's SR-IOV back end (vf_io.h): drivers/nvme,
 * linked into the program with the user-level home, drives the VF whose
 * capability the program holds; no kernel on the data path but the
 * interrupt.  Data moves through one bounce buffer of VF_IO_PAGES pages
 * mapped in the VF's IOMMU domain (the file system's buffers are not in
 * it), one request at a time, each waited for with a bound.
 */
#include <libveneer.h>
#include <vn.h>
#include <blkdev.h>                 /* the drivers' (-Idrivers), not lib/fs/blkdev.h beside this file */
#include <home_user.h>
#include <nvme/nvme.h>
#include "vf_io.h"

#define VF_IO_PAGES   16
#define VF_IO_TIMEOUT 5000000000ull

struct vf_io {
    struct drv_dev *d;
    struct blkdev *bd;
    struct drv_dma buf;
    uint32_t bs;
    uint64_t blocks, requests;
};

static const struct drv_driver *const vf_drivers[] = {&nvme_driver};

/* Contract in vf_io.h. */
int vf_io_open(uint64_t dev, struct vf_io **out, uint64_t *bytes, uint32_t *block_size, uint32_t *nsid)
{
    static struct vf_io one;        /* the user home drives one program's devices: one VF each */
    struct vf_io *v = &one;
    if (v->d)
        return -E_BUSY;
    static bool home_up;            /* uhome_init once: its notify word is kept */
    int r = home_up ? 0 : uhome_init();
    home_up = r == 0;
    if (r == 0)
        r = uhome_attach((capref_t)dev, vf_drivers, 1, &v->d);
    if (r < 0) {
        v->d = NULL;
        return r;
    }
    v->bd = blkdev_find(0);
    if (!v->bd || v->bd->nns != 1 || (r = drv_dma_alloc(v->d, VF_IO_PAGES * DRV_PAGE, &v->buf)) < 0) {
        uhome_detach(v->d);
        v->d = NULL;
        return r < 0 ? r : -E_NODEV;
    }
    v->bs = v->bd->ns[0].block_size;
    v->blocks = v->bd->ns[0].blocks;
    v->requests = 0;
    *bytes = v->blocks * v->bs;
    *block_size = v->bs;
    *nsid = v->bd->ns[0].nsid;
    *out = v;
    return 0;
}

static int vf_io_run(struct vf_io *v, uint8_t op, uint64_t off, uint64_t len, uint8_t *buf)
{
    if (off % v->bs || len % v->bs || off / v->bs > v->blocks || len / v->bs > v->blocks - off / v->bs)
        return -E_INVAL;
    while (len) {
        uint64_t n = len < VF_IO_PAGES * DRV_PAGE ? len : VF_IO_PAGES * DRV_PAGE;
        uint16_t pages = (uint16_t)((n + DRV_PAGE - 1) / DRV_PAGE);
        if (op == BLKDEV_WRITE)
            memcpy(v->buf.va, buf, n);
        int r = uhome_blk_sync(v->bd, op, off / v->bs, (uint32_t)(n / v->bs), v->buf.iova, pages, false,
                               VF_IO_TIMEOUT);
        v->requests++;
        if (r < 0)
            return r;
        if (op == BLKDEV_READ)
            memcpy(buf, v->buf.va, n);
        off += n;
        buf += n;
        len -= n;
    }
    return 0;
}

/* Contract in vf_io.h. */
int vf_io_read(struct vf_io *v, uint64_t off, uint64_t len, void *buf)
{
    return vf_io_run(v, BLKDEV_READ, off, len, buf);
}

/* Contract in vf_io.h. */
int vf_io_write(struct vf_io *v, uint64_t off, uint64_t len, const void *buf)
{
    return vf_io_run(v, BLKDEV_WRITE, off, len, (uint8_t *)buf);
}

/* Contract in vf_io.h. */
int vf_io_flush(struct vf_io *v)
{
    v->requests++;
    return uhome_blk_sync(v->bd, BLKDEV_FLUSH, 0, 0, 0, 0, false, VF_IO_TIMEOUT);
}

uint64_t vf_io_requests(const struct vf_io *v) { return v->requests; }

/* Contract in vf_io.h. */
void vf_io_close(struct vf_io *v)
{
    drv_dma_free(v->d, &v->buf);
    uhome_detach(v->d);
    v->d = NULL;
}
