/*
 * Bitmap page pool.  One bit per frame (set = free), searched a 64-bit word
 * at a time from a rotating hint, so allocation is O(1) amortised when
 * memory is mostly free and O(n/64) in the worst case.  A bitmap (rather
 * than a free list) lets a libOS ask for a particular physical frame and
 * lets DMA users ask for contiguous runs.
 */
#include <veneer/errors.h>
#include "page_alloc.h"

#define BIT(i) (1ULL << ((i) & 63))

void pool_init(struct page_pool *p, uint64_t *bitmap, uint64_t base_pfn, uint64_t npages)
{
    p->base_pfn = base_pfn;
    p->npages = npages;
    p->bitmap = bitmap;
    p->nfree = 0;
    p->hint = 0;
    for (uint64_t i = 0; i < pool_bitmap_words(npages); i++)
        bitmap[i] = 0;
}

uint64_t pool_add_free(struct page_pool *p, uint64_t pfn, uint64_t count)
{
    uint64_t added = 0;
    for (uint64_t f = pfn; f < pfn + count; f++) {
        if (f < p->base_pfn || f - p->base_pfn >= p->npages)
            continue;
        uint64_t i = f - p->base_pfn;
        if (!(p->bitmap[i / 64] & BIT(i))) {
            p->bitmap[i / 64] |= BIT(i);
            added++;
        }
    }
    p->nfree += added;
    return added;
}

int pool_alloc(struct page_pool *p, uint64_t *pfn)
{
    uint64_t words = pool_bitmap_words(p->npages);
    if (p->nfree == 0 || words == 0)
        return -E_NOMEM;
    for (uint64_t n = 0; n < words; n++) {
        uint64_t w = (p->hint + n) % words;
        if (p->bitmap[w]) {
            uint64_t bit = (uint64_t)__builtin_ctzll(p->bitmap[w]);
            p->bitmap[w] &= ~BIT(bit);
            p->nfree--;
            p->hint = w;
            *pfn = p->base_pfn + w * 64 + bit;
            return 0;
        }
    }
    return -E_NOMEM; /* nfree was wrong: unreachable unless memory is corrupt */
}

int pool_is_free(const struct page_pool *p, uint64_t pfn)
{
    if (pfn < p->base_pfn || pfn - p->base_pfn >= p->npages)
        return 0;
    uint64_t i = pfn - p->base_pfn;
    return (p->bitmap[i / 64] & BIT(i)) != 0;
}

int pool_alloc_at(struct page_pool *p, uint64_t pfn)
{
    if (pfn < p->base_pfn || pfn - p->base_pfn >= p->npages)
        return -E_RANGE;
    uint64_t i = pfn - p->base_pfn;
    if (!(p->bitmap[i / 64] & BIT(i)))
        return -E_BUSY;
    p->bitmap[i / 64] &= ~BIT(i);
    p->nfree--;
    return 0;
}

int pool_alloc_contig(struct page_pool *p, uint64_t count, uint64_t align, uint64_t *pfn)
{
    if (count == 0 || align == 0)
        return -E_INVAL;
    uint64_t first = (p->base_pfn + align - 1) / align * align;
    for (uint64_t start = first; start + count <= p->base_pfn + p->npages;) {
        uint64_t i = start - p->base_pfn;
        if (i % 64 == 0 && p->bitmap[i / 64] == 0) {   /* 64 pages in use: skip the word */
            start = (start + 64 + align - 1) / align * align;
            continue;
        }
        uint64_t run = 0;
        while (run < count && pool_is_free(p, start + run))
            run++;
        if (run == count) {
            for (uint64_t f = start; f < start + count; f++)
                pool_alloc_at(p, f);
            *pfn = start;
            return 0;
        }
        /* No run can start at or before the page in use just found. */
        start = (start + run + 1 + align - 1) / align * align;
    }
    return -E_NOMEM;
}

int pool_free(struct page_pool *p, uint64_t pfn)
{
    if (pfn < p->base_pfn || pfn - p->base_pfn >= p->npages)
        return -E_RANGE;
    uint64_t i = pfn - p->base_pfn;
    if (p->bitmap[i / 64] & BIT(i))
        return -E_INVAL;
    p->bitmap[i / 64] |= BIT(i);
    p->nfree++;
    return 0;
}
