/*
 * Kernel self-test of the NVMe driver (ktest=nvme), on QEMU's nvme with a
 * raw image of 8 MiB in 512-byte blocks (tests/qemu/ktest_nvme.t): the
 * controller identified, its namespace's size and block size; writes of
 * 1 block, 8 blocks (one page), 9 pages (a PRP list) and 64 pages (the
 * largest request), one with FUA, each read back into a cleared buffer
 * and compared, a flush; malformed requests refused; a burst past the
 * hardware's room refused with -E_AGAIN and every slot back afterwards.
 * Data pages are kernel pages mapped in the driver's domain with
 * drv_kernel_dma_map, as blk.c maps a libOS's; no IOMMU fault is logged for the controller.
 */
#include <veneer/errors.h>
#include "arch.h"
#include "blkdev.h"
#include "console.h"
#include "drv.h"
#include "home_kernel.h"
#include "iommu.h"
#include "irq.h"
#include "klib.h"
#include "ktest.h"
#include "pci.h"
#include "pmem.h"
#include "vm.h"

#define BUF_PAGES BLKDEV_PAGES_MAX

struct kbuf {
    uint8_t *va;
    uint64_t iova;
};

static struct {
    volatile uint64_t done;         /* requests completed */
    int status[64];                 /* by request, as completed */
    struct blkdev_req req[64];
    struct kbuf wbuf, rbuf;
} kn;

static void kn_done(struct blkdev_req *r, int status)
{
    kn.status[r - kn.req] = status;
    kn.done++;
}

/* Let interrupts in (halting, with a 1 ms timer) until *v reaches target
 * or ms milliseconds passed; whether it did. */
static bool wait_for(const volatile uint64_t *v, uint64_t target, unsigned ms)
{
    uint64_t end = arch_tsc() + arch_tsc_hz() / 1000 * ms;
    while (*v < target && arch_tsc() < end) {
        arch_timer_oneshot(1000000);
        arch_wait_for_kick();
        irq_deliver_pending();
    }
    arch_timer_oneshot(0);
    return *v >= target;
}

/* 64 contiguous kernel pages mapped for the device at iova == pa (what
 * blk.c does for a libOS's pages, through drv_kernel_dma_map). */
static int buf_alloc(struct blkdev *bd, struct kbuf *b)
{
    paddr_t pa = page_alloc_contig(BUF_PAGES);
    CHECK(pa != 0);
    *b = (struct kbuf){.va = P2V(pa), .iova = pa};
    for (unsigned i = 0; i < BUF_PAGES; i++)
        CHECK(drv_kernel_dma_map(bd->drv, pa + i * 4096ul, pa + i * 4096ul, true) == 0);
    return 0;
}

static void buf_free(struct blkdev *bd, struct kbuf *b)
{
    for (unsigned i = 0; i < BUF_PAGES; i++) {
        drv_kernel_dma_unmap(bd->drv, b->iova + i * 4096ul);
        page_free(b->iova + i * 4096ul);
    }
}

/* One request through bd, waited for; its status.  -E_TIMEOUT if the
 * device never completed it. */
static int one(struct blkdev *bd, unsigned op, unsigned flags, uint64_t lba, uint32_t nblocks, const struct kbuf *buf,
               uint16_t npages)
{
    struct blkdev_req *r = &kn.req[0];
    *r = (struct blkdev_req){.op = (uint8_t)op, .flags = (uint8_t)flags, .npages = npages, .ns = 0, .lba = lba,
                             .nblocks = nblocks, .iova = buf ? buf->iova : 0, .done = kn_done};
    uint64_t target = kn.done + 1;
    int s = bd->ops->submit(bd, r);
    if (s < 0)
        return s;
    return wait_for(&kn.done, target, 5000) ? kn.status[0] : -E_TIMEOUT;
}

/* Write nblocks at lba from a pattern seeded by seed, read them back into
 * a cleared buffer and compare. */
static int write_read(struct blkdev *bd, uint64_t lba, uint32_t nblocks, unsigned flags, uint8_t seed)
{
    uint32_t bs = bd->ns[0].block_size;
    uint64_t bytes = (uint64_t)nblocks * bs;
    uint16_t pages = (uint16_t)((bytes + 4095) / 4096);
    for (uint64_t i = 0; i < bytes; i++)
        kn.wbuf.va[i] = (uint8_t)(seed + i * 7 + i / 4096);
    for (uint64_t i = 0; i < bytes; i++)
        kn.rbuf.va[i] = 0;
    CHECK(one(bd, BLKDEV_WRITE, flags, lba, nblocks, &kn.wbuf, pages) == 0);
    CHECK(one(bd, BLKDEV_READ, 0, lba, nblocks, &kn.rbuf, pages) == 0);
    for (uint64_t i = 0; i < bytes; i++)
        CHECK(kn.rbuf.va[i] == kn.wbuf.va[i]);
    kprintf("ktest nvme: %u blocks at %lu written%s, read back equal\n", nblocks, lba, flags ? " (FUA)" : "");
    return 0;
}

int ktest_nvme(void)
{
    struct blkdev *bd = blkdev_find(0);
    const struct pci_func *f = NULL;
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (pci_func_get(i)->vendor == 0x1b36 && pci_func_get(i)->device == 0x0010)
            f = pci_func_get(i);
    CHECK(bd && f && f->kernel_owned && bd->running);
    CHECK(bd->nns == 1 && bd->ns[0].block_size == 512 && bd->ns[0].blocks == 8 * 1024 * 1024 / 512);
    kprintf("ktest nvme: namespace %u of %lu blocks of %u bytes, volatile cache %s\n", bd->ns[0].nsid,
            bd->ns[0].blocks, bd->ns[0].block_size, bd->volatile_cache ? "yes" : "no");
    CHECK(buf_alloc(bd, &kn.wbuf) == 0 && buf_alloc(bd, &kn.rbuf) == 0);
    uint64_t last = bd->ns[0].blocks;
    if (write_read(bd, 0, 1, 0, 1) < 0 || write_read(bd, 1, 8, 0, 2) < 0 ||
        write_read(bd, 1000, 9 * 8, BLKDEV_FUA, 3) < 0 || write_read(bd, last - 5, 5, 0, 4) < 0 ||
        write_read(bd, 4096, BUF_PAGES * 8, 0, 5) < 0)
        return -1;
    CHECK(one(bd, BLKDEV_FLUSH, 0, 0, 0, NULL, 0) == 0);
    kprintf("ktest nvme: flush completed\n");
    /* Malformed: past the end, straddling it, too long for its pages, no blocks, another namespace. */
    CHECK(one(bd, BLKDEV_READ, 0, last, 1, &kn.rbuf, 1) == -E_INVAL);
    CHECK(one(bd, BLKDEV_READ, 0, last - 1, 2, &kn.rbuf, 1) == -E_INVAL);
    CHECK(one(bd, BLKDEV_READ, 0, 0, 9, &kn.rbuf, 1) == -E_INVAL);
    CHECK(one(bd, BLKDEV_READ, 0, 0, 0, &kn.rbuf, 1) == -E_INVAL);
    CHECK(one(bd, BLKDEV_READ, 0, ~0ul, 2, &kn.rbuf, 1) == -E_INVAL);
    kn.req[0].ns = 1;
    CHECK(bd->ops->submit(bd, &kn.req[0]) == -E_INVAL);
    /* A burst: as many as there is room for, then -E_AGAIN; all complete. */
    unsigned room = bd->ops->room(bd), n = 0;
    CHECK(room > 0 && room < 64);
    uint64_t target = kn.done + room;
    for (; n < room; n++) {
        kn.req[n] = (struct blkdev_req){.op = BLKDEV_READ, .npages = 1, .lba = n, .nblocks = 8,
                                        .iova = kn.rbuf.iova, .done = kn_done};
        CHECK(bd->ops->submit(bd, &kn.req[n]) == 0);
    }
    kn.req[n] = kn.req[0];
    CHECK(bd->ops->room(bd) == 0 && bd->ops->submit(bd, &kn.req[n]) == -E_AGAIN);
    CHECK(wait_for(&kn.done, target, 5000));
    for (unsigned i = 0; i < room; i++)
        CHECK(kn.status[i] == 0);
    CHECK(bd->ops->room(bd) == room);
    kprintf("ktest nvme: burst of %u reads, then the queue full (-E_AGAIN), all completed\n", room);
    buf_free(bd, &kn.wbuf);
    buf_free(bd, &kn.rbuf);
    iommu_fault_serve();
    kprintf("ktest nvme: %lu requests, %lu failed by the device; DMA %s, %lu IOMMU faults\n", bd->completed,
            bd->failed, iommu_covers(f->addr) ? "through the kernel's IOMMU domain" : "to physical addresses",
            iommu_fault_count(f->addr));
    CHECK(bd->failed == 0 && iommu_fault_count(f->addr) == 0);
    return 0;
}
