/*
 * Global physical page pool.  pmem_init() sizes a bitmap for all RAM up to
 * the highest usable address, places it in the first usable region large
 * enough (above the kernel), then frees every usable frame that is not low
 * memory (< 1 MiB), the kernel image, a boot module or the bitmap itself.
 * Single CPU for now: the pool lock arrives with SMP.
 */
#include <veneer/errors.h>
#include "boot_info.h"
#include "klib.h"
#include "page_alloc.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"

extern char kernel_phys_start[], kernel_end[];

static struct {
    struct page_pool pool;
    paddr_t top;
    uint64_t *free_mirror;      /* exposed copy of pool.nfree (sysinfo) */
} kmem;

static void mirror_update(void)
{
    if (kmem.free_mirror)
        *kmem.free_mirror = kmem.pool.nfree;
}

static paddr_t noted(paddr_t pa, uint64_t count, bool allocated)
{
    page_meta_note(pa, count, allocated);
    mirror_update();
    return pa;
}

void pmem_set_free_mirror(uint64_t *mirror)
{
    kmem.free_mirror = mirror;
    mirror_update();
}

bool page_is_free(paddr_t pa) { return pool_is_free(&kmem.pool, pa / PAGE_SIZE); }

paddr_t page_alloc_contig(uint64_t n)
{
    uint64_t pfn;
    if (pool_alloc_contig(&kmem.pool, n, 1, &pfn) < 0)
        return 0;
    memset(P2V(pfn * PAGE_SIZE), 0, n * PAGE_SIZE);
    return noted(pfn * PAGE_SIZE, n, true);
}

paddr_t pmem_top(void) { return kmem.top; }

static bool overlaps(paddr_t a, uint64_t alen, paddr_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Whether [pa, pa+len) collides with something that must never be freed. */
static bool pmem_reserved(paddr_t pa, uint64_t len, paddr_t bm, uint64_t bmlen)
{
    paddr_t kstart = (paddr_t)kernel_phys_start;
    paddr_t kend = KV2P(kernel_end);
    if (pa < 0x100000 || overlaps(pa, len, kstart, kend - kstart) || overlaps(pa, len, bm, bmlen))
        return true;
    for (unsigned i = 0; i < boot_info.nmodules; i++)
        if (overlaps(pa, len, boot_info.modules[i].base, ROUND_UP(boot_info.modules[i].len, PAGE_SIZE)))
            return true;
    return false;
}

void pmem_init(void)
{
    paddr_t top = 0;
    for (unsigned i = 0; i < boot_info.nregions; i++) {
        struct boot_region *r = &boot_info.regions[i];
        if (r->usable && r->base + r->len > top)
            top = r->base + r->len;
    }
    top = ROUND_DOWN(MIN(top, PHYSMAP_MAX), PAGE_SIZE);
    kmem.top = top;
    uint64_t npages = top / PAGE_SIZE;
    uint64_t bmlen = ROUND_UP(pool_bitmap_words(npages) * 8, PAGE_SIZE);

    /* Find a home for the bitmap: first usable, unreserved, aligned span. */
    paddr_t bm = 0;
    for (unsigned i = 0; i < boot_info.nregions && !bm; i++) {
        struct boot_region *r = &boot_info.regions[i];
        if (!r->usable)
            continue;
        for (paddr_t pa = ROUND_UP(r->base, PAGE_SIZE); pa + bmlen <= r->base + r->len && pa + bmlen <= top;
             pa += PAGE_SIZE) {
            if (!pmem_reserved(pa, bmlen, 0, 0)) {
                bm = pa;
                break;
            }
        }
    }
    if (!bm)
        panic("pmem_init: no room for a %lu-byte page bitmap", bmlen);

    pool_init(&kmem.pool, P2V(bm), 0, npages);
    for (unsigned i = 0; i < boot_info.nregions; i++) {
        struct boot_region *r = &boot_info.regions[i];
        if (!r->usable)
            continue;
        for (paddr_t pa = ROUND_UP(r->base, PAGE_SIZE); pa + PAGE_SIZE <= r->base + r->len && pa < top;
             pa += PAGE_SIZE)
            if (!pmem_reserved(pa, PAGE_SIZE, bm, bmlen))
                pool_add_free(&kmem.pool, pa / PAGE_SIZE, 1);
    }
}

paddr_t page_alloc(void)
{
    uint64_t pfn;
    if (pool_alloc(&kmem.pool, &pfn) < 0)
        return 0;
    memset(P2V(pfn * PAGE_SIZE), 0, PAGE_SIZE);
    return noted(pfn * PAGE_SIZE, 1, true);
}

int page_alloc_at(paddr_t pa)
{
    if (pa % PAGE_SIZE)
        return -E_INVAL;
    int r = pool_alloc_at(&kmem.pool, pa / PAGE_SIZE);
    if (r == 0) {
        memset(P2V(pa), 0, PAGE_SIZE);
        noted(pa, 1, true);
    }
    return r;
}

void page_free(paddr_t pa)
{
    if (pa % PAGE_SIZE || pool_free(&kmem.pool, pa / PAGE_SIZE) < 0)
        panic("page_free: bad or double free of %lx", pa);
    noted(pa, 1, false);
}

uint64_t page_free_count(void) { return kmem.pool.nfree; }
