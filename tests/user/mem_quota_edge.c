/*
 * page_map at the edge of the quota.  page_map checks the worst-case cost
 * of a batch (page tables, binding records, index nodes) against the
 * quota before it changes anything, and then must not fail: an estimate
 * below what bind.c really charges turns into a kernel panic in the apply
 * step (the records are charged a slab page's worth at a time, and a
 * batch of 512 could once pass the check by one page).  A child with a
 * small quota leaves itself exactly r pages of room, r = 0..16, and maps a
 * full batch in three layouts: each call must either map everything or
 * fail with E_QUOTA having changed nothing.
 *
 * The same for dma_map, whose estimate once was one page short: 510 pages
 * into a fresh gigabyte of I/O space (two IOMMU page-table pages), with the holder's binding
 * count at each of the 63 offsets within a slab page of records and 6 to
 * 14 pages of room (with 8, the old estimate let the call through and
 * the ninth record page panicked the kernel).  QEMU's edu device is the
 * DMA device (mode 2 gets it in slot VN_CAP_SPAWN_SHARE).
 */
#include <veneer/dev.h>
#include "check.h"

#define ROOM_MAX 16
#define FILL_MAX 256

static uint64_t room(void)
{
    return vn_envinfo->quota - vn_envinfo->held;
}

/* Allocate one-page capabilities until exactly r pages of quota are left;
 * returns how many it holds in fill[]. */
static unsigned fill_to(capref_t *fill, uint64_t r)
{
    unsigned k = 0;
    while (room() > r + 80 && k < FILL_MAX) {      /* 64 at a time, then one by one */
        long c = vn_page_alloc(CAP_SELF, 0, 64);
        if (c < 0)
            break;
        fill[k++] = (capref_t)c;
    }
    while (room() > r && k < FILL_MAX) {
        long c = vn_page_alloc(CAP_SELF, 0, 1);
        if (c < 0)
            break;
        fill[k++] = (capref_t)c;
    }
    return k;
}

/* Entries mapping page cap p at n addresses from base, stride apart. */
static void batch(struct vn_map_entry *m, size_t n, capref_t p, uint64_t base, uint64_t stride)
{
    for (size_t i = 0; i < n; i++)
        m[i] = (struct vn_map_entry){.va = base + i * stride, .cap = p, .prot = 0, .index = 0};
}

static int child(void)
{
    static struct vn_map_entry m[VN_MAP_BATCH_MAX];
    static capref_t fill[FILL_MAX];
    capref_t p = (capref_t)vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(p > 0);
    /* The layouts: 512 pages in one fresh 2 MiB region, 8 pages in each
     * of 64 regions, and 64 regions of one page each (the most page
     * tables and index nodes for the fewest records). */
    const uint64_t strides[] = {PAGE_SIZE, 64 * PAGE_SIZE, 2ul << 20};
    unsigned mapped = 0, refused = 0;
    for (unsigned s = 0; s < 3; s++) {
        size_t n = s == 2 ? 64 : VN_MAP_BATCH_MAX;
        for (uint64_t r = 0; r <= ROOM_MAX; r++) {
            /* A fresh stretch of address space each time, so nothing of
             * the last attempt's page tables is reused. */
            uint64_t span = (n * strides[s] + (2ul << 20)) / PAGE_SIZE;
            uint64_t base = vn_va_reserve(span);
            CHECK(base != 0);
            base = (base + (2ul << 20) - 1) & ~((2ul << 20) - 1);
            batch(m, n, p, base, strides[s]);
            unsigned k = fill_to(fill, r);
            CHECK_EQ(room(), r);
            uint64_t held = vn_envinfo->held;
            long got = vn_page_map(CAP_SELF, m, n);
            if (got == -E_QUOTA) {
                CHECK_EQ(vn_envinfo->held, held);
                refused++;
            } else {
                CHECK_EQ(got, (long)n);
                for (size_t i = 0; i < n; i++)
                    CHECK_EQ(vn_page_unmap(CAP_SELF, m[i].va, 1), 1);
                mapped++;
            }
            while (k)
                CHECK_EQ(vn_cap_delete(fill[--k]), 0);
        }
    }
    printf("mem_quota_edge: %u batches refused with E_QUOTA, %u mapped\n", refused, mapped);
    CHECK(refused > 0);
    return 0;
}

#define DMA_PAGES 510
#define DMA_IOVA  0x400000ul    /* the first mapping's */

static int child_dma(void)
{
    static capref_t fill[FILL_MAX];
    capref_t dev = VN_CAP_SPAWN_SHARE;
    long big = vn_page_alloc(CAP_SELF, 0, DMA_PAGES), one = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(big > 0 && one > 0);
    /* Become the holder. */
    CHECK_EQ(vn_dma_map(dev, (capref_t)one, DMA_IOVA, VN_DMA_READ), 1);
    unsigned mapped = 0, refused = 0;
    for (unsigned k = 0; k < 63; k++) {
        /* One more binding record each round: one more page of ours mapped. */
        uint64_t va = vn_va_reserve(1);
        struct vn_map_entry m = {va, (capref_t)one, 0, 0};
        CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
        uint64_t iova = (uint64_t)(k + 1) << 30;    /* fresh tables until the first success */
        for (uint64_t r = 6; r <= 14; r++) {
            unsigned f = fill_to(fill, r);
            CHECK_EQ(room(), r);
            uint64_t held = vn_envinfo->held;
            long got = vn_dma_map(dev, (capref_t)big, iova, VN_DMA_READ);
            if (got == -E_QUOTA) {
                CHECK_EQ(vn_envinfo->held, held);
                refused++;
            } else {
                CHECK_EQ(got, DMA_PAGES);
                CHECK_EQ(vn_dma_unmap(dev, iova, DMA_PAGES), DMA_PAGES);
                mapped++;
            }
            while (f)
                CHECK_EQ(vn_cap_delete(fill[--f]), 0);
        }
    }
    printf("mem_quota_edge: dma: %u refused with E_QUOTA, %u mapped\n", refused, mapped);
    CHECK(refused > 0 && mapped > 0);
    return 0;
}

/* The device capability (in our table) of QEMU's edu. */
static capref_t find_edu(void)
{
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        struct vn_devinfo di;
        capref_t c = (capref_t)(VN_CAP_DEV_FIRST + i);
        if (vn_dev_info(c, &di) == 0 && di.vendor == 0x1234 && di.device == 0x11e8)
            return c;
    }
    return -1;
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    (void)arg;
    if (mode == 1)
        return child();
    if (mode == 2)
        return child_dma();
    capref_t c = vn_spawn("mem_quota_edge", 600, 1, 0);
    CHECK(c > 0);
    CHECK_EQ(vn_wait(c), 0);
    capref_t edu = find_edu();
    CHECK(edu > 0);
    c = vn_spawn_share("mem_quota_edge", 1000, 2, 0, edu, CR_ALL);
    CHECK(c > 0);
    CHECK_EQ(vn_wait(c), 0);
    printf("mem_quota_edge: all checks passed\n");
    return 0;
}
