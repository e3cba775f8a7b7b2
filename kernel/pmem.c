/*
 * Global physical page pool.  pmem_init() sizes a bitmap for all RAM up to
 * the highest usable address, places it in the first usable region large
 * enough (above the kernel), then frees every usable frame that is not low
 * memory (< 1 MiB), the kernel image, a boot module or the bitmap itself.
 * The pool's lock (klock.h's order: last but the shootdown's) covers the
 * bitmap; pages are zeroed outside it.  Shared-tier calls (klock.h) free
 * into and allocate from a stash of their own CPU first, so that CPUs
 * working apart share no pool line; the big lock's holder, which runs
 * alone, takes pages back from every stash when the pool runs short or a
 * particular page or a run is asked for.  The free count (exposed in the
 * system info page) counts stashed pages as free, and is exact at all
 * times: one atomic add per page.
 */
#include <veneer/errors.h>
#include "boot_info.h"
#include "klib.h"
#include "klock.h"
#include "page_alloc.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"

extern char kernel_phys_start[], kernel_end[];

#define STASH_PAGES 16
#define STASH_CPUS 64           /* at least MAX_CPUS */

static struct {
    struct page_pool pool;
    paddr_t top;
    uint64_t boot_free;         /* the free count until it is exposed ... */
    uint64_t *free;             /* ... then in the system info page */
    struct spinlock lock;
} kmem = {.free = &kmem.boot_free};

static struct {
    uint32_t n;
    paddr_t pa[STASH_PAGES];
} __attribute__((aligned(64))) stash[STASH_CPUS];

static paddr_t noted(paddr_t pa, uint64_t count, bool allocated)
{
    page_meta_note(pa, count, allocated);
    __atomic_fetch_add(kmem.free, allocated ? -count : count, __ATOMIC_RELAXED);
    return pa;
}

void pmem_set_free_mirror(uint64_t *mirror)
{
    *mirror = *kmem.free;
    kmem.free = mirror;
}

/* Move pages between CPU c's stash and the pool until the stash holds n
 * (or the pool is empty). */
static void stash_fill(unsigned c, unsigned n)
{
    uint64_t pfn;
    spin_lock(&kmem.lock);
    while (stash[c].n > n)
        pool_free(&kmem.pool, stash[c].pa[--stash[c].n] / PAGE_SIZE);
    while (stash[c].n < n && pool_alloc(&kmem.pool, &pfn) == 0)
        stash[c].pa[stash[c].n++] = pfn * PAGE_SIZE;
    spin_unlock(&kmem.lock);
}

/* Under the big lock: every stashed page back into the pool. */
static void stash_drain(void)
{
    for (unsigned c = 0; c < STASH_CPUS && c < cpu_count(); c++)
        stash_fill(c, 0);
}

static int pool_take(uint64_t *pfn)
{
    spin_lock(&kmem.lock);
    int r = pool_alloc(&kmem.pool, pfn);
    spin_unlock(&kmem.lock);
    return r;
}

bool page_is_free(paddr_t pa) { return pool_is_free(&kmem.pool, pa / PAGE_SIZE); }

paddr_t page_alloc_contig(uint64_t n)
{
    uint64_t pfn;
    if (!kernel_shared_held())
        stash_drain();
    spin_lock(&kmem.lock);
    int r = pool_alloc_contig(&kmem.pool, n, 1, &pfn);
    spin_unlock(&kmem.lock);
    if (r == 0)
        noted(pfn * PAGE_SIZE, n, true);
    if (r < 0)
        return 0;
    memset(P2V(pfn * PAGE_SIZE), 0, n * PAGE_SIZE);
    return pfn * PAGE_SIZE;
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
                *kmem.free += pool_add_free(&kmem.pool, pa / PAGE_SIZE, 1);
    }
}

paddr_t page_alloc(void)
{
    uint64_t pfn = 0;
    unsigned me = cpu_id();
    int r = -E_NOMEM;
    if (kernel_shared_held()) {
        if (!stash[me].n)   /* half a stash at once: the CPUs' frames (and records) lie apart */
            stash_fill(me, STASH_PAGES / 2);
        if (stash[me].n)
            pfn = stash[me].pa[--stash[me].n] / PAGE_SIZE, r = 0;
    } else if ((r = pool_take(&pfn)) < 0 && *kmem.free) {
        stash_drain();
        r = pool_take(&pfn);
    }
    if (r < 0)
        return 0;
    noted(pfn * PAGE_SIZE, 1, true);
    memset(P2V(pfn * PAGE_SIZE), 0, PAGE_SIZE);
    return pfn * PAGE_SIZE;
}

int page_alloc_at(paddr_t pa)
{
    if (pa % PAGE_SIZE)
        return -E_INVAL;
    if (!kernel_shared_held())
        stash_drain();      /* the page may be stashed */
    spin_lock(&kmem.lock);
    int r = pool_alloc_at(&kmem.pool, pa / PAGE_SIZE);
    spin_unlock(&kmem.lock);
    if (r == 0) {
        noted(pa, 1, true);
        memset(P2V(pa), 0, PAGE_SIZE);
    }
    return r;
}

void page_free(paddr_t pa)
{
    if (pa % PAGE_SIZE || pa >= kmem.top || page_meta_is_free(pa))
        panic("page_free: bad or double free of %lx", pa);
    unsigned me = cpu_id();
    if (kernel_shared_held()) {
        if (stash[me].n == STASH_PAGES)
            stash_fill(me, STASH_PAGES / 2);    /* half back to the pool at once */
        stash[me].pa[stash[me].n++] = pa;
    } else {
        spin_lock(&kmem.lock);
        int r = pool_free(&kmem.pool, pa / PAGE_SIZE);
        spin_unlock(&kmem.lock);
        if (r < 0)
            panic("page_free: bad or double free of %lx", pa);
    }
    noted(pa, 1, false);
}

uint64_t page_free_count(void) { return *kmem.free; }
