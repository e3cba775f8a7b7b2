/*
 * Physical page pool: which frames of a contiguous range are free.  Pure
 * logic with no hardware access, so it is unit-tested on the host
 * (tests/host/test_page_alloc.c) and used by pmem.c in the kernel.
 */
#ifndef KERNEL_PAGE_ALLOC_H
#define KERNEL_PAGE_ALLOC_H

#include <stdint.h>

struct page_pool {
    uint64_t base_pfn;  /* first frame number tracked */
    uint64_t npages;    /* number of frames tracked */
    uint64_t *bitmap;   /* bit set = frame free; caller-provided storage */
    uint64_t nfree;     /* number of set bits */
    uint64_t hint;      /* bitmap word where the next search starts */
};

/* Words of bitmap storage needed to track npages frames. */
static inline uint64_t pool_bitmap_words(uint64_t npages) { return (npages + 63) / 64; }

/* Start tracking [base_pfn, base_pfn + npages) with every frame in use. */
void pool_init(struct page_pool *p, uint64_t *bitmap, uint64_t base_pfn, uint64_t npages);
/* Mark frames free (boot-time hand-over of usable RAM); frames outside the
 * pool are ignored.  Returns how many frames became free. */
uint64_t pool_add_free(struct page_pool *p, uint64_t pfn, uint64_t count);
/* Take any free frame.  Errors: -E_NOMEM when none is free. */
int pool_alloc(struct page_pool *p, uint64_t *pfn);
/* Take the named frame (physical names are exposed to libOSes).
 * Errors: -E_RANGE outside the pool, -E_BUSY if it is not free. */
int pool_alloc_at(struct page_pool *p, uint64_t pfn);
/* Take count contiguous frames starting at a multiple of align frames.
 * Errors: -E_INVAL for count or align 0, -E_NOMEM if no such run exists. */
int pool_alloc_contig(struct page_pool *p, uint64_t count, uint64_t align, uint64_t *pfn);
/* Return a frame.  Errors: -E_RANGE outside the pool, -E_INVAL if it was
 * already free (a double free, which the kernel treats as a bug). */
int pool_free(struct page_pool *p, uint64_t pfn);
/* Whether the frame is currently free (false outside the pool). */
int pool_is_free(const struct page_pool *p, uint64_t pfn);

#endif
