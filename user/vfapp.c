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
 *
 * With VFAPP_HOSTILE in arg0 it first attacks, as a libOS gone bad would
 * (user/vfmgr.c's hostile run): admin commands only a PF may run
 * (Virtualization Management taking the other VF offline, Namespace
 * Attachment of the other's namespace, Firmware Commit) must fail; a read
 * of the other VF's namespace must be rejected by the controller; a read
 * into an IOVA outside its domain must fault in the IOMMU and write
 * nothing; and it holds no capability to the PF or any other device.
 * Then it writes its namespace over and over until it is killed.
 */
#include <libveneer.h>
#include <vn.h>
#include "blkdev.h"
#include "home_user.h"
#include "nvme/nvme.h"

int main(uint64_t vfn, uint64_t kib);

#define VFAPP_HOSTILE 0x100         /* arg0: attack first (the VF number is in the low bits) */
#define WRITE_KIB   2048
#define CHUNK_PAGES 16
#define TIMEOUT_NS  5000000000ul

static const struct drv_driver *const drivers[] = {&nvme_driver};
static int failures;

#define EXPECT(cond, ...) \
    do { if (!(cond)) { printf("vfapp: FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

/* One request, waited for (bounded): uhome_blk_sync. */
static int io_run(struct blkdev *bd, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t iova, uint16_t npages)
{
    return uhome_blk_sync(bd, op, lba, nblocks, iova, npages, false, TIMEOUT_NS);
}

/* The byte VF vfn writes at offset off of its namespace. */
static uint8_t pattern(uint64_t vfn, uint64_t off)
{
    return (uint8_t)((vfn * 37) ^ (off >> 12) ^ (off * 7) ^ 0x5c);
}

/* Run an admin command the VF's controller must refuse; its status. */
static uint16_t refused(struct nvme_ctrl *n, const char *what, uint8_t op, uint32_t nsid, uint32_t cdw10,
                        uint64_t prp)
{
    struct nvme_sqe c = {.opcode = op, .nsid = nsid, .prp1 = prp, .cdw10 = cdw10, .cdw11 = 1};
    int r = nvme_admin_cmd(n, &c, NULL);
    EXPECT(r == -E_IO, "%s from a VF: %d", what, r);
    printf("vfapp: %s from a VF: refused, status %#x\n", what, nvme_admin_status(n));
    return nvme_admin_status(n);
}

static void attack(uint64_t vfn, struct blkdev *bd, struct drv_dev *d, struct drv_dma *buf)
{
    struct nvme_ctrl *n = nvme_ctrl_of(bd);
    uint16_t other = (uint16_t)(vfn == 1 ? 2 : 1);
    memset(buf->va, 0, DRV_PAGE);
    ((uint16_t *)buf->va)[0] = 1;
    ((uint16_t *)buf->va)[1] = (uint16_t)vfn;
    refused(n, "Virtualization Management (offline the other VF)", NVME_ADM_VIRT_MGMT,
            0, NVME_VM_OFFLINE | (uint32_t)other << 16, 0);
    refused(n, "Namespace Attachment (the other's namespace)", NVME_ADM_NS_ATTACH, other + 1, 0, buf->iova);
    /* QEMU 7.2 does not refuse Namespace Attachment on a secondary: a free
     * private namespace attaches to the VF's own controller (a hole in the
     * emulation, docs/devices.md).  Asserted as it is, then undone. */
    struct nvme_sqe att = {.opcode = NVME_ADM_NS_ATTACH, .nsid = 4, .prp1 = buf->iova, .cdw10 = 0};
    int ra = nvme_admin_cmd(n, &att, NULL);
    att.cdw10 = 1;
    int rd = nvme_admin_cmd(n, &att, NULL);
    EXPECT(ra == 0 && rd == 0, "attach/detach of namespace 4 from a VF: %d %d", ra, rd);
    printf("vfapp: Namespace Attachment of free namespace 4 from a VF: accepted by QEMU 7.2 (%d), detached (%d)\n",
           ra, rd);
    refused(n, "Firmware Commit", NVME_ADM_FW_COMMIT, 0, 1u << 3, 0);
    /* The other VF's namespace: not attached to this controller. */
    uint32_t mine = bd->ns[0].nsid, per_page = DRV_PAGE / bd->ns[0].block_size;
    bd->ns[0].nsid = other + 1;
    int r = io_run(bd, BLKDEV_READ, 0, per_page, buf->iova, 1);
    bd->ns[0].nsid = mine;
    EXPECT(r < 0, "read of namespace %u through VF %lu: %d", other + 1, vfn, r);
    printf("vfapp: read of the other VF's namespace %u: refused by the controller (%d)\n", other + 1, r);
    /* DMA outside the domain: a read into an IOVA nothing is mapped at. */
    const struct vn_devinfo *di = uhome_dev_info(d);
    struct vn_devinfo now;
    vn_dev_info(uhome_dev_cap(d), &now);
    uint64_t faults = now.dma_faults;
    r = io_run(bd, BLKDEV_READ, 0, per_page, 0x7f000000ul, 1);
    vn_dev_info(uhome_dev_cap(d), &now);
    /* QEMU 7.2 completes the read with success all the same: only the
     * IOMMU's fault record tells. */
    EXPECT(r == 0 && now.dma_faults > faults, "read into an unmapped IOVA: %d, faults %lu -> %lu", r, faults,
           now.dma_faults);
    printf("vfapp: read into an IOVA outside its domain: %d, IOMMU faults of %02x:%02x.%x %lu -> %lu\n", r,
           (di->addr >> 8) & 0xff, (di->addr >> 3) & 0x1f, di->addr & 7, faults, now.dma_faults);
    /* No other device, the PF least of all. */
    unsigned others = 0;
    for (capref_t c = 0; c < 256; c++) {
        struct vn_devinfo x;
        others += c != uhome_dev_cap(d) && vn_dev_info(c, &x) == 0;
    }
    EXPECT(others == 0 && uhome_find(0x1b36, 0x0010, 0) < 0, "%u other device capabilities", others);
    printf("vfapp: no capability to the PF or any other device (%u)\n", others);
}

int main(uint64_t vfn, uint64_t kib)
{
    bool hostile = vfn & VFAPP_HOSTILE;
    vfn &= ~(uint64_t)VFAPP_HOSTILE;
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
    if (hostile) {
        attack(vfn, bd, d, &buf);
        printf("vfapp %lu: writing until killed\n", vfn);
        for (uint64_t c = 0;; c = (c + 1) % chunks)
            io_run(bd, BLKDEV_WRITE, c * CHUNK_PAGES * per_page, CHUNK_PAGES * per_page, buf.iova, CHUNK_PAGES);
    }
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
