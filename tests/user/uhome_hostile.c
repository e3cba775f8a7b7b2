/*
 * The user-level driver home against the kernel's confinement, with the
 * NVMe driver (drivers/nvme) driving QEMU's nvme from user space.  The
 * driver is trusted by nobody: whatever its requests name, the device
 * reaches only pages of its own IOMMU domain, the program reaches only
 * its own device's registers (never the MSI-X table) and config
 * registers outside the kernel's, and killing it mid-transfer resets the
 * device and returns every page, after which a new instance takes the
 * device again and works.
 *
 * mode 0: the test (first environment, booted with drv_skip=nvme).
 * mode 1: a driver instance that streams writes until it is killed; it
 *         counts completions in the page it was given (slot 1).
 * mode 2: a driver instance that writes, reads back and exits 0 if the
 *         content matched.
 * Both children find the device capability granted to them, and get
 * edu's BAR0 address in arg1 to try to reach it.
 */
#include <veneer/dev.h>
#include "blkdev.h"
#include "check.h"
#include "home_user.h"
#include "nvme/nvme.h"

int main(uint64_t mode, uint64_t arg1);

#define CANARY 0x6b6b6b6b6b6b6b6bul
#define STREAM_PAGES 16

static const struct drv_driver *const drivers[] = {&nvme_driver};

struct io {                     /* a request kept in flight (the kill test) */
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

/* One request, waited for (bounded): uhome_blk_sync. */
static int io_run(struct blkdev *bd, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t iova, uint16_t npages)
{
    return uhome_blk_sync(bd, op, lba, nblocks, iova, npages, false, 5000000000ul);
}

static struct blkdev *newest_blkdev(void)
{
    struct blkdev *bd = NULL;
    for (unsigned i = 0; blkdev_find(i); i++)
        bd = blkdev_find(i);
    return bd;
}

static uint64_t dma_faults(capref_t dev)
{
    struct vn_devinfo di;
    return vn_dev_info(dev, &di) == 0 ? di.dma_faults : ~0ul;
}

static bool all(uint64_t va, uint64_t v)
{
    for (unsigned i = 0; i < 512; i++)
        if (((volatile uint64_t *)va)[i] != v)
            return false;
    return true;
}

/* The one device capability in this environment's table, or -1. */
static capref_t my_device(void)
{
    capref_t found = -1;
    unsigned n = 0;
    for (capref_t s = 0; s < 256; s++) {
        struct vn_capinfo ci;
        if (vn_cap_info(s, &ci) == 0 && ci.type == CAP_DEVICE) {
            found = s;
            n++;
        }
    }
    return n == 1 ? found : -1;
}

/* A child: the device it was given and nothing else; edu out of reach. */
static int child_attach(uint64_t edu_base, struct drv_dev **d, struct blkdev **bd)
{
    capref_t dev = my_device();
    if (dev < 0 || uhome_init() < 0 || uhome_attach(dev, drivers, 1, d) < 0 || !(*bd = newest_blkdev()))
        return 20;
    if (vn_page_alloc(CAP_SELF, edu_base, 1) >= 0)
        return 21;                  /* another device's registers are not RAM to allocate */
    const struct vn_devinfo *di = uhome_dev_info(*d);
    long regs = vn_dev_regs(dev, 0, CR_READ | CR_MAP);
    if (regs < 0)
        return 22;
    struct vn_map_entry m = {vn_va_reserve(1), (capref_t)regs, VM_PROT_READ,
                             edu_base > di->bar[0].base ? (edu_base - di->bar[0].base) / 4096 : ~0ul};
    if (vn_page_map(CAP_SELF, &m, 1) != -E_RANGE)
        return 23;                  /* nor reachable past the end of our own BAR */
    vn_cap_delete((capref_t)regs);
    return 0;
}

/* mode 1: stream STREAM_PAGES-page writes, counting completions in *count. */
static int child_stream(uint64_t edu_base)
{
    struct drv_dev *d;
    struct blkdev *bd;
    int r = child_attach(edu_base, &d, &bd);
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (r || vn_page_map(CAP_SELF, &m, 1) != 1)
        return r ? r : 24;
    volatile uint64_t *count = (volatile uint64_t *)m.va;
    struct drv_dma buf[4];
    struct io io[4];
    for (unsigned i = 0; i < 4; i++) {
        if (drv_dma_alloc(d, STREAM_PAGES * DRV_PAGE, &buf[i]) < 0)
            return 25;
        memset(buf[i].va, 0x40 + i, STREAM_PAGES * DRV_PAGE);
        io[i].done = true;
    }
    uint32_t per = STREAM_PAGES * DRV_PAGE / bd->ns[0].block_size;
    for (uint64_t k = 0;; k++) {
        unsigned i = k % 4;
        while (!io[i].done)
            uhome_wait(1000000000ul);
        count[0]++;
        io[i] = (struct io){.req = {.op = BLKDEV_WRITE, .npages = STREAM_PAGES, .lba = (k % 8) * per,
                                    .nblocks = per, .iova = buf[i].iova, .done = io_done}};
        io[i].req.ctx = &io[i];
        if (bd->ops->submit(bd, &io[i].req) < 0)
            return 26;
    }
}

/* mode 2: write, read back, compare. */
static int child_work(uint64_t edu_base)
{
    struct drv_dev *d;
    struct blkdev *bd;
    int r = child_attach(edu_base, &d, &bd);
    struct drv_dma buf;
    if (r || drv_dma_alloc(d, 4 * DRV_PAGE, &buf) < 0)
        return r ? r : 30;
    uint8_t *b = buf.va;
    for (unsigned i = 0; i < 4 * DRV_PAGE; i++)
        b[i] = (uint8_t)(i * 7 + 3);
    uint32_t per = 4 * DRV_PAGE / bd->ns[0].block_size;
    if (io_run(bd, BLKDEV_WRITE, 64, per, buf.iova, 4) != 0 || io_run(bd, BLKDEV_FLUSH, 0, 0, 0, 0) != 0)
        return 31;
    memset(b, 0, 4 * DRV_PAGE);
    if (io_run(bd, BLKDEV_READ, 64, per, buf.iova, 4) != 0)
        return 32;
    for (unsigned i = 0; i < 4 * DRV_PAGE; i++)
        if (b[i] != (uint8_t)(i * 7 + 3))
            return 33;
    drv_dma_free(d, &buf);
    uhome_detach(d);
    return 0;
}

/* DMA: requests naming IOVAs outside the domain fault and land nowhere. */
static void test_dma_confined(struct drv_dev *d, struct blkdev *bd)
{
    capref_t dev = uhome_dev_cap(d);
    long canary = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(canary > 0);
    uint64_t cva = vn_va_reserve(1);
    struct vn_map_entry m = {cva, (capref_t)canary, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    for (unsigned i = 0; i < 512; i++)
        ((volatile uint64_t *)cva)[i] = CANARY;
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info((capref_t)canary, &ci), 0);
    struct drv_dma buf;
    CHECK_EQ(drv_dma_alloc(d, DRV_PAGE, &buf), 0);
    uint32_t per = DRV_PAGE / bd->ns[0].block_size;
    for (unsigned i = 0; i < 512; i++)
        ((uint64_t *)buf.va)[i] = 0x1111111111111111ul * (i & 15);
    CHECK_EQ(io_run(bd, BLKDEV_WRITE, 8, per, buf.iova, 1), 0);         /* something to read */

    /* A read into the canary's physical address (what the device would
     * write without an IOMMU), and into the guard page between buf and
     * the next allocation, which holds a canary too.  QEMU 7.2's nvme
     * completes such a request with success whatever its DMA did, so the
     * memory and the IOMMU's fault count tell, not the status. */
    struct drv_dma next;
    CHECK_EQ(drv_dma_alloc(d, DRV_PAGE, &next), 0);
    CHECK_EQ(next.iova, buf.iova + buf.len + DRV_PAGE);
    for (unsigned i = 0; i < 512; i++)
        ((volatile uint64_t *)next.va)[i] = CANARY;
    uint64_t f0 = dma_faults(dev);
    io_run(bd, BLKDEV_READ, 8, per, ci.object, 1);
    CHECK(all(cva, CANARY));
    CHECK(dma_faults(dev) > f0);
    f0 = dma_faults(dev);
    io_run(bd, BLKDEV_READ, 8, per, buf.iova + buf.len, 1);
    CHECK(all((uint64_t)next.va, CANARY));
    CHECK(dma_faults(dev) > f0);
    /* A write from kernel memory (the image at 1 MiB): the device reads
     * nothing there; the block gets its old content or QEMU's zeros. */
    f0 = dma_faults(dev);
    io_run(bd, BLKDEV_WRITE, 8, per, 0x100000, 1);
    CHECK(dma_faults(dev) > f0);
    memset(buf.va, 0xee, DRV_PAGE);
    CHECK_EQ(io_run(bd, BLKDEV_READ, 8, per, buf.iova, 1), 0);
    uint64_t foreign = 0;
    for (unsigned i = 0; i < 512; i++)
        foreign += ((uint64_t *)buf.va)[i] != 0 && ((uint64_t *)buf.va)[i] != 0x1111111111111111ul * (i & 15);
    CHECK_EQ(foreign, 0);
    drv_dma_free(d, &next);
    /* The driver carries on after the faults: the controller is fine. */
    CHECK(bd->running);
    drv_dma_free(d, &buf);
    CHECK_EQ(vn_cap_delete((capref_t)canary), 0);
    printf("uhome_hostile: DMA outside the domain faulted in the IOMMU; the canaries are intact, the block holds nothing foreign\n");
}

/* Registers and config space: its own BAR, never the MSI-X table, never
 * the kernel's config registers. */
static void test_registers(struct drv_dev *d, capref_t edu)
{
    capref_t dev = uhome_dev_cap(d);
    const struct vn_devinfo *di = uhome_dev_info(d);
    volatile void *regs;
    uint64_t size;
    CHECK_EQ(drv_bar_map(d, 0, &regs, &size), 0);
    CHECK(di->msix_size > 0 && di->msix_table_bar == 0);
    CHECK(!(vn_pte((uint64_t)regs + di->msix_table_off) & 1));          /* the home left it unmapped */
    CHECK(!(vn_pte((uint64_t)regs + di->msix_pba_off) & 1));
    CHECK(vn_pte((uint64_t)regs) & 1);
    long rc = vn_dev_regs(dev, di->msix_table_bar, CR_READ | CR_WRITE | CR_MAP);
    CHECK(rc > 0);
    struct vn_map_entry m = {vn_va_reserve(1), (capref_t)rc, VM_PROT_WRITE, di->msix_table_off / 4096};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_PERM);                     /* and the kernel refuses it */
    CHECK_EQ(vn_cap_delete((capref_t)rc), 0);
    CHECK_EQ(drv_bar_map(d, 6, &regs, &size), -E_INVAL);
    CHECK_EQ(drv_bar_map(d, 1, &regs, &size), -E_INVAL);                /* nvme: BAR0 64-bit, no BAR1 */
    /* Config: the home allows drv.h's registers, the kernel's filter the rest. */
    uint32_t bar0 = drv_cfg_read(d, 0x10, 4);
    CHECK_EQ(drv_cfg_write(d, 0x10, 4, 0), -E_PERM);
    CHECK_EQ(vn_dev_cfg_write(dev, 0x10, 4, 0x00100000), -E_PERM);
    CHECK_EQ(vn_dev_cfg_write(dev, 0x30, 4, 1), -E_PERM);
    unsigned ptr = drv_cfg_read(d, 0x34, 1) & 0xfc, msix = 0;
    for (unsigned n = 0; ptr >= 0x40 && n < 48; n++, ptr = drv_cfg_read(d, ptr + 1, 1) & 0xfc)
        if (drv_cfg_read(d, ptr, 1) == 0x11)
            msix = ptr;
    CHECK(msix != 0);
    CHECK_EQ(vn_dev_cfg_write(dev, msix + 2, 2, 0xc000), -E_PERM);       /* MSI-X enable and mask-all */
    CHECK_EQ(vn_dev_cfg_write(dev, 0x100, 4, 0), -E_PERM);
    CHECK_EQ(drv_cfg_read(d, 0x10, 4), bar0);
    /* Another device: no capability, no mapping. */
    struct vn_devinfo ei;
    CHECK_EQ(vn_dev_info(edu, &ei), 0);
    CHECK(vn_page_alloc(CAP_SELF, ei.bar[0].base, 1) < 0);
    printf("uhome_hostile: its own BAR only, no MSI-X table, no kernel config registers\n");
}

int main(uint64_t mode, uint64_t arg1)
{
    if (mode == 1)
        return child_stream(arg1);
    if (mode == 2)
        return child_work(arg1);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t nvme = uhome_find(0x1b36, 0x0010, 0), edu = uhome_find(0x1234, 0x11e8, 0);
    CHECK(nvme >= 0 && edu >= 0);
    CHECK_EQ(uhome_init(), 0);
    if (nvme < 0 || edu < 0)
        return check_done("uhome_hostile");
    struct vn_devinfo ei;
    CHECK_EQ(vn_dev_info(edu, &ei), 0);

    /* This program as the driver: DMA, registers, config. */
    struct drv_dev *d;
    CHECK_EQ(uhome_attach(nvme, drivers, 1, &d), 0);
    struct blkdev *bd = newest_blkdev();
    CHECK(bd != NULL);
    if (!bd)
        return check_done("uhome_hostile");
    test_dma_confined(d, bd);
    test_registers(d, edu);
    uhome_detach(d);
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(nvme, &di), 0);
    CHECK(!(di.flags & VN_DEVF_HELD));
    CHECK_EQ(di.dma_pages, 0);

    /* A driver instance killed with writes in flight. */
    uint64_t free1 = vn_sysinfo->free_pages, held1 = vn_envinfo->held;
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    uint64_t pva = vn_va_reserve(1);
    struct vn_map_entry m = {pva, (capref_t)page, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    volatile uint64_t *count = (volatile uint64_t *)pva;
    capref_t kid = vn_spawn_share_stopped("uhome_hostile", 1024, 1, ei.bar[0].base, (capref_t)page,
                                          CR_READ | CR_WRITE | CR_MAP, 0);
    CHECK(kid > 0);
    CHECK(vn_cap_grant(nvme, kid, CR_ALL) > 0);
    CHECK_EQ(vn_env_start(kid), 0);
    uint64_t until = vn_clock_ns() + 20000000000ul;
    while (count[0] < 20 && vn_clock_ns() < until)
        vn_yield();
    CHECK(count[0] >= 20);
    CHECK_EQ(vn_dev_info(nvme, &di), 0);
    CHECK(di.flags & VN_DEVF_HELD);
    CHECK(!(di.flags & VN_DEVF_HELD_BY_ME));
    CHECK(di.dma_pages > 0);
    uint64_t streamed = count[0];
    vn_kill(kid);
    CHECK_EQ(vn_dev_info(nvme, &di), 0);
    CHECK(!(di.flags & VN_DEVF_HELD));
    CHECK_EQ(di.dma_pages, 0);
    CHECK_EQ(vn_dev_cfg_read(nvme, 4, 2) & VN_CMD_MASTER, 0);
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    /* Every page the instance had is free again (what spawning charged to
     * this program, its view of the boot archive, it keeps). */
    long lost = pages_unaccounted(free1, held1);
    CHECK(labs(lost) <= SLAB_SLACK);
    printf("uhome_hostile: killed after %lu writes: device reset, domain empty, every page back (%ld unaccounted)\n",
           streamed, lost);

    /* A new instance takes the device and works. */
    kid = vn_spawn_share_stopped("uhome_hostile", 1024, 2, ei.bar[0].base, nvme, CR_ALL, 0);
    CHECK(kid > 0);
    CHECK_EQ(vn_env_start(kid), 0);
    int status = vn_wait(kid);
    CHECK_EQ(status, 0);
    if (status == 0)
        printf("uhome_hostile: a new instance took the device again: wrote, flushed, read back\n");
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("uhome_hostile");
}
