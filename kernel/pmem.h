/*
 * Physical memory: the global page pool built from the boot memory map,
 * and the physmap (every RAM frame is mapped at PHYSMAP_BASE + phys).
 */
#ifndef KERNEL_PMEM_H
#define KERNEL_PMEM_H

#include <veneer/memlayout.h>
#include "types.h"

static inline void *P2V(paddr_t pa) { return (void *)(pa + PHYSMAP_BASE); }
static inline paddr_t V2P(const void *va) { return (paddr_t)va - PHYSMAP_BASE; }
/* Physical address of a kernel-image symbol. */
static inline paddr_t KV2P(const void *va) { return (paddr_t)va - KERNEL_BASE; }
/* Entry i of an array laid out from frame pfn, per_page entries of size
 * bytes in each page (the rings of <veneer/net.h> and <veneer/blk.h>). */
static inline void *pfn_entry(uint64_t pfn, uint64_t i, unsigned per_page, size_t size)
{
    return (char *)P2V((pfn + i / per_page) * PAGE_SIZE) + i % per_page * size;
}

/* Build the page pool from boot_info, reserving the kernel image, boot
 * modules and low memory. */
void pmem_init(void);
/* Highest physical address of usable RAM (exclusive). */
paddr_t pmem_top(void);
/* Allocate one zeroed page; returns 0 if memory is exhausted. */
paddr_t page_alloc(void);
/* Allocate the named page (zeroed).  Errors: -E_INVAL (unaligned),
 * -E_RANGE (not RAM we track), -E_BUSY (taken). */
int page_alloc_at(paddr_t pa);
/* Allocate n physically contiguous zeroed pages; returns 0 if no run. */
paddr_t page_alloc_contig(uint64_t n);
/* Whether the page is in the free pool. */
bool page_is_free(paddr_t pa);
/* Keep the free-page count in *mirror from now on. */
void pmem_set_free_mirror(uint64_t *mirror);
/* Return a page; panics on a double free or a foreign address. */
void page_free(paddr_t pa);
/* Number of free pages right now (in the pool or a CPU's stash). */
uint64_t page_free_count(void);

#endif
