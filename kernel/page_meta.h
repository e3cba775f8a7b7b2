/*
 * Per-physical-page records.  The exposed half (struct vn_page_info: owner,
 * reference count, flags) is mapped read-only into every environment at
 * VN_PAGEINFO; the kernel half holds the reverse map of each page's
 * mappings.  A page allocated to an environment lives while any capability
 * or mapping refers to it and returns to the pool on the last unref.
 */
#ifndef KERNEL_PAGE_META_H
#define KERNEL_PAGE_META_H

#include <veneer/env.h>
#include <veneer/memlayout.h>
#include "types.h"

struct binding;

extern struct vn_page_info *page_info;     /* [page_meta_npages] */
extern struct vn_sysinfo *sysinfo;
extern uint64_t page_meta_npages;

/* Allocate the records for all RAM and the system info page. */
void page_meta_init(void);
/* Physical addresses of the exposed pages, for paging_expose_init(). */
paddr_t page_meta_sysinfo_pa(void);
paddr_t page_meta_info_pa(void);
uint64_t page_meta_info_pages(void);

/* Give a free page to owner (any page if pa == 0, else that one).
 * Returns the page or 0; *err gets -E_NOMEM, -E_RANGE, -E_BUSY, -E_INVAL. */
paddr_t page_give(envid_t owner, paddr_t pa, int *err);
/* Give count contiguous free pages to owner; returns the first or 0. */
paddr_t page_give_range(envid_t owner, uint64_t count);
/* Take/drop a reference; the last drop frees the page (the charge is
 * the root capabilities', released with them in env.c).  The caller holds
 * the page's object lock, or the big lock. */
void page_ref(uint64_t pfn);
void page_unref(uint64_t pfn);
/* The same for each of the n pages of the object whose first page is pfn
 * (a page capability's obj and count), under its object lock. */
void page_ref_range(uint64_t pfn, uint64_t n);
void page_unref_range(uint64_t pfn, uint64_t n);
/* Called by pmem on every allocation (allocated) and free. */
void page_meta_note(paddr_t pa, uint64_t count, bool allocated);
/* Mark frames that never come from the pool (boot modules) as kernel's. */
void page_meta_mark_kernel(paddr_t pa, uint64_t len);

/* The object lock (klock.h) of the pages of every capability whose obj
 * is obj: their reference counts and reverse maps, the capabilities'
 * binding lists.  All page capabilities covering a page share one obj
 * (derived and page_share capabilities copy it), so one lock covers a
 * page wherever it is mapped from.  Hashed: a collision only waits. */
struct spinlock *page_obj_lock(uint64_t obj);
/* Whether the record of the page at pa says it is free (the pool's or a
 * stash's; pmem.c's double-free check). */
static inline bool page_meta_is_free(paddr_t pa)
{
    return page_info && pa / PAGE_SIZE < page_meta_npages && (page_info[pa / PAGE_SIZE].flags & VN_PI_FREE);
}
/* Reverse map: bindings of a page (singly linked through page_next). */
struct binding **page_bindings(uint64_t pfn);

#endif
