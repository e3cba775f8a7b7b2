/*
 * An application that owns an NVMe controller (Arrakis's storage path):
 * the driver the kernel runs (drivers/nvme) is linked into this program
 * with the user-level home (drivers/home_user.c), and the program drives
 * the controller itself through its device capability.  On the data path
 * the kernel only delivers the completion interrupt (notify_wait) and
 * unmasks it (irq_ack): submission is a doorbell write to the mapped BAR,
 * data moves by DMA into pages of this program's IOMMU domain, and no blk
 * syscall is made.
 *
 * Booted with drv_skip=nvme (or drv_skip=<bus:dev.fn> to leave the kernel
 * another controller), as the first environment:
 *   1. attach the controller (identify, queues: the driver's probe);
 *   2. read block CHECK_LBA, which the host wrote before boot (CHECK_TEXT);
 *   3. write a pattern over the first WRITE_PAGES pages, flush, read it
 *      back; then detach (the kernel resets the function), attach again
 *      and read it once more: it came from the disk, not from a cache;
 *   4. time READS 4 KiB reads, one at a time, waiting for the interrupt,
 *      then polling the completion queue (no syscall at all), then waiting
 *      again, counting the syscalls they made and checking that none was
 *      a blk call;
 *   5. if the kernel drives a disk too (a second controller: its root
 *      extent in vn_sysinfo.blk_cap), time the same reads through the
 *      kernel's request queue (blk_queue, blk_doorbell) for comparison.
 * arg0: the number of timed reads (0: READS).  Prints one line per step
 * and "nvme_app: all checks passed"; the leak check is the kernel's.
 */
#include <libveneer.h>
#include <vn.h>
#include <veneer/blk.h>
#include "blkdev.h"
#include "home_user.h"
#include "nvme/nvme.h"

int main(uint64_t reads, uint64_t arg1);

#define READS       200
#define WRITE_PAGES 8
#define CHECK_LBA   128             /* in 512-byte blocks: byte 64 KiB */
#define CHECK_TEXT  "veneer: written by the host before boot\n"
#define TIMEOUT_NS  5000000000ul

static const struct drv_driver *const drivers[] = {&nvme_driver};
static int failures;

#define EXPECT(cond, ...) \
    do { if (!(cond)) { printf("nvme_app: FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static bool polling;                /* io_run: uhome_poll instead of uhome_wait */

/* One request, waited for (bounded): uhome_blk_sync. */
static int io_run(struct blkdev *bd, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t iova, uint16_t npages)
{
    return uhome_blk_sync(bd, op, lba, nblocks, iova, npages, polling, TIMEOUT_NS);
}

static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(0x5a ^ (off >> 9) ^ (off * 13));
}

/* Syscalls of the blk family served so far (by anyone). */
static uint64_t blk_calls(void)
{
    static const unsigned nums[] = {SYS_blk_info, SYS_blk_derive, SYS_blk_queue, SYS_blk_doorbell};
    uint64_t n = 0;
    for (unsigned i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        for (unsigned c = 0; c < VN_PATH_RESULTS; c++)
            n += vn_sysinfo->paths[nums[i] - VN_SYSCALL_BASE][c];
    return n;
}

/* Attach the controller behind dev; its blkdev is the newest registered. */
static struct blkdev *attach(capref_t dev, struct drv_dev **d)
{
    int r = uhome_attach(dev, drivers, 1, d);
    EXPECT(r == 0, "attach: %s", vn_strerror(r));
    if (r < 0)
        return NULL;
    struct blkdev *bd = NULL;
    for (unsigned i = 0; blkdev_find(i); i++)
        bd = blkdev_find(i);
    return bd;
}

/* Steps 2 and 3: the host's block, then write, flush, read back. */
static void check_content(struct blkdev *bd, struct drv_dev *d, struct drv_dma *buf)
{
    uint32_t bs = bd->ns[0].block_size, per_page = DRV_PAGE / bs;
    uint8_t *b = buf->va;
    int r = io_run(bd, BLKDEV_READ, CHECK_LBA * 512 / bs, per_page, buf->iova, 1);
    EXPECT(r == 0 && memcmp(b, CHECK_TEXT, sizeof(CHECK_TEXT) - 1) == 0, "the host's block: %d", r);
    if (r == 0 && memcmp(b, CHECK_TEXT, sizeof(CHECK_TEXT) - 1) == 0) {
        b[sizeof(CHECK_TEXT) - 2] = 0;
        printf("nvme_app: read the host's block %u: \"%s\"\n", CHECK_LBA, (const char *)b);
    }
    for (uint64_t i = 0; i < WRITE_PAGES * DRV_PAGE; i++)
        b[i] = pattern(i);
    r = io_run(bd, BLKDEV_WRITE, 0, WRITE_PAGES * per_page, buf->iova, WRITE_PAGES);
    EXPECT(r == 0, "write: %d", r);
    r = io_run(bd, BLKDEV_FLUSH, 0, 0, 0, 0);
    EXPECT(r == 0, "flush: %d", r);
    memset(b, 0, WRITE_PAGES * DRV_PAGE);
    r = io_run(bd, BLKDEV_READ, 0, WRITE_PAGES * per_page, buf->iova, WRITE_PAGES);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < WRITE_PAGES * DRV_PAGE; i++)
        bad += b[i] != pattern(i);
    EXPECT(r == 0 && bad == 0, "read back: %d, %lu bytes differ", r, bad);
    if (r == 0 && bad == 0)
        printf("nvme_app: wrote, flushed and read back %u KiB (%u-byte blocks), content checked\n",
               WRITE_PAGES * 4, bs);
    (void)d;
}

/* Step 4: reads of one page, one at a time, waiting for the interrupt or
 * polling; the mean in ns and syscalls. */
static void time_reads(struct blkdev *bd, struct drv_dma *buf, uint64_t n, bool poll)
{
    polling = poll;
    uint32_t per_page = DRV_PAGE / bd->ns[0].block_size;
    uint64_t blk0 = blk_calls(), sys0 = vn_sysinfo->syscalls, t0 = vn_clock_ns(), bad = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t page = i % WRITE_PAGES;
        int r = io_run(bd, BLKDEV_READ, page * per_page, per_page, buf->iova, 1);
        bad += r != 0 || ((uint8_t *)buf->va)[17] != pattern(page * DRV_PAGE + 17);
    }
    uint64_t ns = (vn_clock_ns() - t0) / n, calls = vn_sysinfo->syscalls - sys0, blk = blk_calls() - blk0;
    EXPECT(bad == 0, "%lu timed reads failed", bad);
    EXPECT(blk == 0, "%lu blk syscalls on the data path", blk);
    printf("nvme_app: app-owned driver, %s: %lu reads of 4 KiB, %lu ns each, %lu.%02lu syscalls each, "
           "%lu blk syscalls\n", poll ? "polling" : "interrupts", n, ns, calls / n, calls * 100 / n % 100, blk);
    polling = false;
}

/* Step 5: the same reads through the kernel's driver and request queue. */
static void time_kernel_reads(uint64_t n)
{
    capref_t ext = (capref_t)vn_sysinfo->blk_cap;
    struct vn_blkinfo bi;
    if (vn_sysinfo->nblk == 0 || vn_blk_info(ext, &bi) < 0)
        return;
    const uint32_t slots = 4;
    long ring = vn_page_alloc(CAP_SELF, 0, VN_BLKQ_PAGES(slots)), data = vn_page_alloc(CAP_SELF, 0, 1);
    long word = vn_notify_create();
    EXPECT(ring > 0 && data > 0 && word > 0, "kernel queue: pages or word");
    if (ring < 0 || data < 0 || word < 0)
        return;
    uint64_t rva = vn_va_reserve(VN_BLKQ_PAGES(slots));
    for (uint64_t i = 0; i < VN_BLKQ_PAGES(slots); i++) {
        struct vn_map_entry m = {rva + i * DRV_PAGE, (capref_t)ring, VM_PROT_WRITE, i};
        vn_page_map(CAP_SELF, &m, 1);
    }
    struct vn_blkq_req q = {.ring = (int32_t)ring, .notify = (int32_t)word, .bits = 1, .nslots = slots,
                            .inflight = 1};
    long queue = vn_blk_queue(ext, &q);
    EXPECT(queue > 0, "blk_queue: %s", vn_strerror(queue));
    if (queue > 0) {
        struct vn_blkq_hdr *h = (struct vn_blkq_hdr *)rva;
        struct vn_blk_req *sq = (struct vn_blk_req *)(rva + DRV_PAGE);
        struct vn_blk_cpl *cq = (struct vn_blk_cpl *)(rva + 2 * DRV_PAGE);
        uint32_t per_page = DRV_PAGE / bi.block_size;
        uint64_t bad = 0, t0 = vn_clock_ns();
        for (uint64_t i = 0; i < n; i++) {
            sq[h->sq_tail % slots] = (struct vn_blk_req){.id = i, .op = VN_BLK_READ, .npages = 1,
                                                          .extent = ext, .block = (i % WRITE_PAGES) * per_page,
                                                          .nblocks = per_page, .pages = (int32_t)data};
            h->sq_tail++;
            vn_blk_doorbell((capref_t)queue);
            while (h->cq_tail == h->cq_head && vn_notify_wait((capref_t)word, TIMEOUT_NS) >= 0)
                ;
            bad += h->cq_tail == h->cq_head || cq[h->cq_tail % slots].status != 0;
            if (h->cq_tail != h->cq_head)
                h->cq_tail++;
        }
        uint64_t ns = (vn_clock_ns() - t0) / n;
        EXPECT(bad == 0, "%lu kernel-queue reads failed", bad);
        printf("nvme_app: kernel driver, blk queue: %lu reads of 4 KiB, %lu ns each\n", n, ns);
        vn_cap_delete((capref_t)queue);
    }
    vn_cap_delete((capref_t)word);
    vn_cap_delete((capref_t)data);
    vn_cap_delete((capref_t)ring);
}

int main(uint64_t reads, uint64_t arg1)
{
    (void)arg1;
    if (reads == 0)
        reads = READS;
    capref_t dev = uhome_find(0x1b36, 0x0010, 0);
    int r = uhome_init();
    EXPECT(dev >= 0 && r == 0, "no NVMe controller left to user space (drv_skip=nvme?)");
    if (dev < 0 || r < 0)
        return 1;
    struct drv_dev *d;
    struct blkdev *bd = attach(dev, &d);
    if (!bd)
        return 1;
    printf("nvme_app: controller %s attached in user space: namespace %u, %lu blocks of %u bytes\n",
           bd->name, bd->ns[0].nsid, bd->ns[0].blocks, bd->ns[0].block_size);
    struct drv_dma buf;
    r = drv_dma_alloc(d, WRITE_PAGES * DRV_PAGE, &buf);
    EXPECT(r == 0, "drv_dma_alloc: %s", vn_strerror(r));
    if (r < 0)
        return 1;
    check_content(bd, d, &buf);
    drv_dma_free(d, &buf);
    uhome_detach(d);

    /* Again, after the kernel reset the function: from the disk. */
    bd = attach(dev, &d);
    if (!bd || drv_dma_alloc(d, WRITE_PAGES * DRV_PAGE, &buf) < 0)
        return 1;
    r = io_run(bd, BLKDEV_READ, 0, WRITE_PAGES * DRV_PAGE / bd->ns[0].block_size, buf.iova, WRITE_PAGES);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < WRITE_PAGES * DRV_PAGE; i++)
        bad += ((uint8_t *)buf.va)[i] != pattern(i);
    EXPECT(r == 0 && bad == 0, "after the reset: %d, %lu bytes differ", r, bad);
    if (r == 0 && bad == 0)
        printf("nvme_app: detached (device reset), attached again: the data came back from the disk\n");
    for (unsigned i = 0; i < 50; i++)       /* warm up: QEMU translates the paths once */
        io_run(bd, BLKDEV_READ, 0, DRV_PAGE / bd->ns[0].block_size, buf.iova, 1);
    time_reads(bd, &buf, reads, false);
    time_reads(bd, &buf, reads, true);
    time_reads(bd, &buf, reads, false);     /* the interrupt comes back after polling */
    drv_dma_free(d, &buf);
    uhome_detach(d);
    time_kernel_reads(reads);
    printf(failures ? "nvme_app: %d checks FAILED\n" : "nvme_app: all checks passed\n", failures);
    return failures != 0;
}
