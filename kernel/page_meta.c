/*
 * Physical page records: owner, references and reverse map per frame.
 * The exposed array is what libOSes read at VN_PAGEINFO; the kernel's own
 * array keeps the exact 32-bit reference count (the exposed one saturates)
 * and the list of bindings (mappings) of each page.
 */
#include <veneer/errors.h>
#include "klib.h"
#include "klock.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"

struct page_kmeta {
    struct binding *bindings;   /* mappings of this page */
    uint32_t refs;              /* capabilities + mappings */
    uint32_t pad;
};

struct vn_page_info *page_info;
struct vn_sysinfo *sysinfo;
uint64_t page_meta_npages;
static struct page_kmeta *kmeta;
#define OBJ_LOCKS 64
static struct {
    struct spinlock l;
} __attribute__((aligned(64))) obj_locks[OBJ_LOCKS];
static paddr_t info_pa, sysinfo_pa;
static uint64_t info_pages;

void page_meta_init(void)
{
    uint64_t n = pmem_top() / PAGE_SIZE;
    info_pages = ROUND_UP(n * sizeof(struct vn_page_info), PAGE_SIZE) / PAGE_SIZE;
    uint64_t kpages = ROUND_UP(n * sizeof(struct page_kmeta), PAGE_SIZE) / PAGE_SIZE;
    info_pa = page_alloc_contig(info_pages);
    paddr_t kpa = page_alloc_contig(kpages);
    sysinfo_pa = page_alloc();
    if (!info_pa || !kpa || !sysinfo_pa)
        panic("page_meta_init: no memory for %lu page records", n);
    page_info = P2V(info_pa);
    kmeta = P2V(kpa);
    sysinfo = P2V(sysinfo_pa);
    page_meta_npages = n;
    for (uint64_t f = 0; f < n; f++)
        page_info[f].flags = page_is_free(f * PAGE_SIZE) ? VN_PI_FREE : VN_PI_KERNEL;
    sysinfo->npages = n;
    sysinfo->page_info_count = n;
    pmem_set_free_mirror(&sysinfo->free_pages);
}

paddr_t page_meta_sysinfo_pa(void) { return sysinfo_pa; }
paddr_t page_meta_info_pa(void) { return info_pa; }
uint64_t page_meta_info_pages(void) { return info_pages; }

void page_meta_mark_kernel(paddr_t pa, uint64_t len)
{
    for (uint64_t f = pa / PAGE_SIZE; f < ROUND_UP(pa + len, PAGE_SIZE) / PAGE_SIZE && f < page_meta_npages; f++)
        page_info[f].flags = VN_PI_KERNEL;
}

paddr_t page_give(envid_t owner, paddr_t pa, int *err)
{
    if (pa) {
        int r = page_alloc_at(pa);
        if (r < 0) {
            *err = r;
            return 0;
        }
    } else if (!(pa = page_alloc())) {
        *err = -E_NOMEM;
        return 0;
    }
    uint64_t f = pa / PAGE_SIZE;
    page_info[f] = (struct vn_page_info){.owner = owner, .refs = 0, .flags = 0};
    kmeta[f].refs = 0;
    kmeta[f].bindings = NULL;
    return pa;
}

paddr_t page_give_range(envid_t owner, uint64_t count)
{
    paddr_t pa = page_alloc_contig(count);
    for (uint64_t f = pa / PAGE_SIZE; pa && f < pa / PAGE_SIZE + count; f++) {
        page_info[f] = (struct vn_page_info){.owner = owner, .refs = 0, .flags = 0};
        kmeta[f].refs = 0;
        kmeta[f].bindings = NULL;
    }
    return pa;
}

/* pmem tells us about every allocation and free, so the exposed flags are
 * right for kernel pages too (page_give then hands pages to owners). */
void page_meta_note(paddr_t pa, uint64_t count, bool allocated)
{
    if (!page_info)
        return;
    for (uint64_t f = pa / PAGE_SIZE; f < pa / PAGE_SIZE + count && f < page_meta_npages; f++)
        page_info[f] = (struct vn_page_info){.flags = allocated ? VN_PI_KERNEL : VN_PI_FREE};
}

void page_ref(uint64_t pfn)
{
    assert(pfn < page_meta_npages);
    kmeta[pfn].refs++;
    page_info[pfn].refs = kmeta[pfn].refs > 0xffff ? 0xffff : (uint16_t)kmeta[pfn].refs;
}

void page_unref(uint64_t pfn)
{
    assert(pfn < page_meta_npages && kmeta[pfn].refs > 0);
    uint32_t refs = --kmeta[pfn].refs;
    page_info[pfn].refs = refs > 0xffff ? 0xffff : (uint16_t)refs;
    if (refs || (page_info[pfn].flags & VN_PI_KERNEL))
        return;
    assert(kmeta[pfn].bindings == NULL);
    /* The charge went with the root capabilities (released in env.c). */
    page_free(pfn * PAGE_SIZE);     /* the record says free from now on */
}

struct spinlock *page_obj_lock(uint64_t obj)
{
    return &obj_locks[(obj * 0x9e3779b97f4a7c15ul) >> 58].l;
}

void page_ref_range(uint64_t pfn, uint64_t n)
{
    spin_lock(page_obj_lock(pfn));
    for (uint64_t i = 0; i < n; i++)
        page_ref(pfn + i);
    spin_unlock(page_obj_lock(pfn));
}

void page_unref_range(uint64_t pfn, uint64_t n)
{
    spin_lock(page_obj_lock(pfn));
    for (uint64_t i = 0; i < n; i++)
        page_unref(pfn + i);
    spin_unlock(page_obj_lock(pfn));
}

struct binding **page_bindings(uint64_t pfn) { return &kmeta[pfn].bindings; }
