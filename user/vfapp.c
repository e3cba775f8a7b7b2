/*
 * A libOS on one SR-IOV virtual function (Arrakis's storage path): the
 * manager (user/vfmgr.c) enabled the VF, gave its secondary controller
 * queues and interrupts, brought it online, attached one private
 * namespace to it and granted this program the VF's device capability
 * (slot VN_CAP_SPAWN_SHARE).  The NVMe driver (drivers/nvme) is linked in
 * with the user-level home and drives the VF directly: its own admin and
 * I/O queues in its own IOMMU domain, its own MSI-X vector in VF BAR0, no
 * kernel on the data path but the interrupt.
 *
 * arg0: the VF's number (its namespace is nsid arg0 + 1; the byte pattern
 * is keyed by it), arg1: KiB to write (0: WRITE_KIB).  It checks that the
 * controller shows exactly one namespace, the expected one, writes
 * arg1 KiB from block 0 in CHUNK_PAGES requests, flushes, reads it all
 * back and compares, and prints its throughput.
 */
#include <libveneer.h>
#include <vn.h>
#include "blkdev.h"
#include "home_user.h"
#include "nvme/nvme.h"

int main(uint64_t vfn, uint64_t kib);

#define WRITE_KIB   2048
#define CHUNK_PAGES 16
#define TIMEOUT_NS  5000000000ul

static const struct drv_driver *const drivers[] = {&nvme_driver};
static int failures;

#define EXPECT(cond, ...) \
    do { if (!(cond)) { printf("vfapp: FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

struct io {
    struct blkdev_req req;
    int status;
    bool done;
};

static void io_done(struct blkdev_req *r, int status)
{
    struct io *io = r->ctx;
    io->status = status;
    io->done = true;
}

/* One request on bd, waited for (bounded).  Its status, submit's error or
 * -E_TIMEOUT. */
static int io_run(struct blkdev *bd, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t iova, uint16_t npages)
{
    struct io io = {.req = {.op = op, .npages = npages, .lba = lba, .nblocks = nblocks, .iova = iova,
                            .done = io_done}};
    io.req.ctx = &io;
    int r = bd->ops->submit(bd, &io.req);
    if (r < 0)
        return r;
    uint64_t until = vn_clock_ns() + TIMEOUT_NS;
    while (!io.done && vn_clock_ns() < until)
        uhome_wait(TIMEOUT_NS);
    return io.done ? io.status : -E_TIMEOUT;
}

/* The byte VF vfn writes at offset off of its namespace. */
static uint8_t pattern(uint64_t vfn, uint64_t off)
{
    return (uint8_t)((vfn * 37) ^ (off >> 12) ^ (off * 7) ^ 0x5c);
}

int main(uint64_t vfn, uint64_t kib)
{
    if (kib == 0)
        kib = WRITE_KIB;
    struct drv_dev *d;
    int r = uhome_init();
    if (r == 0)
        r = uhome_attach(VN_CAP_SPAWN_SHARE, drivers, 1, &d);
    EXPECT(r == 0, "VF %lu: attach: %s", vfn, vn_strerror(r));
    if (r < 0)
        return 1;
    struct blkdev *bd = blkdev_find(0);
    EXPECT(bd && bd->nns == 1 && bd->ns[0].nsid == vfn + 1, "VF %lu: namespaces: %u, first %u", vfn,
           bd ? bd->nns : 0, bd && bd->nns ? bd->ns[0].nsid : 0);
    if (!bd || bd->nns != 1 || bd->ns[0].nsid != vfn + 1)
        return 1;
    const struct vn_devinfo *di = uhome_dev_info(d);
    printf("vfapp %lu: VF %02x:%02x.%x driven in user space, namespace %u only (%lu blocks of %u bytes)\n", vfn,
           (di->addr >> 8) & 0xff, (di->addr >> 3) & 0x1f, di->addr & 7, bd->ns[0].nsid, bd->ns[0].blocks,
           bd->ns[0].block_size);
    struct drv_dma buf;
    r = drv_dma_alloc(d, CHUNK_PAGES * DRV_PAGE, &buf);
    EXPECT(r == 0, "dma: %s", vn_strerror(r));
    if (r < 0)
        return 1;
    uint32_t per_page = DRV_PAGE / bd->ns[0].block_size;
    uint64_t chunks = kib * 1024 / (CHUNK_PAGES * DRV_PAGE), bad = 0, t0 = vn_clock_ns();
    uint8_t *b = buf.va;
    for (uint64_t c = 0; c < chunks; c++) {
        uint64_t base = c * CHUNK_PAGES * DRV_PAGE;
        for (uint64_t i = 0; i < CHUNK_PAGES * DRV_PAGE; i++)
            b[i] = pattern(vfn, base + i);
        r = io_run(bd, BLKDEV_WRITE, c * CHUNK_PAGES * per_page, CHUNK_PAGES * per_page, buf.iova, CHUNK_PAGES);
        EXPECT(r == 0, "VF %lu: write of chunk %lu: %d", vfn, c, r);
        if (r < 0)
            return 1;
    }
    r = io_run(bd, BLKDEV_FLUSH, 0, 0, 0, 0);
    EXPECT(r == 0, "flush: %d", r);
    uint64_t ns = vn_clock_ns() - t0;
    printf("vfapp %lu: wrote %lu KiB in %lu ms: %lu KiB/s\n", vfn, kib, ns / 1000000, kib * 1000000000ul / ns);
    for (uint64_t c = 0; c < chunks; c++) {
        memset(b, 0, CHUNK_PAGES * DRV_PAGE);
        r = io_run(bd, BLKDEV_READ, c * CHUNK_PAGES * per_page, CHUNK_PAGES * per_page, buf.iova, CHUNK_PAGES);
        uint64_t base = c * CHUNK_PAGES * DRV_PAGE;
        for (uint64_t i = 0; i < CHUNK_PAGES * DRV_PAGE; i++)
            bad += b[i] != pattern(vfn, base + i);
        EXPECT(r == 0, "read of chunk %lu: %d", c, r);
    }
    EXPECT(bad == 0, "VF %lu: %lu bytes read back differ", vfn, bad);
    if (bad == 0)
        printf("vfapp %lu: read back %lu KiB, content checked\n", vfn, kib);
    drv_dma_free(d, &buf);
    uhome_detach(d);
    printf(failures ? "vfapp %lu: %d checks FAILED\n" : "vfapp %lu: done\n", vfn, failures);
    return failures != 0;
}
