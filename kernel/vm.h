/*
 * Address spaces, as the portable kernel sees them.  The arch layer owns
 * the page-table format; everything else asks for mappings by virtual
 * address, physical address and VM_* rights.  The kernel half of every
 * address space is shared (see <veneer/memlayout.h>).
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include "types.h"

#define VM_WRITE 0x1u   /* writable */
#define VM_EXEC  0x2u   /* executable (otherwise NX) */
#define VM_USER  0x4u   /* accessible from user mode */
#define VM_UNCACHED 0x8u /* device registers: strong uncacheable */
#define VM_BATCH_VAS 8  /* beyond this many, a batch ends in a full flush */

struct vm_space {
    paddr_t root;       /* top-level page table (PML4 on x86_64) */
    void *owner;        /* environment charged for the page tables */
    uint64_t cpus;      /* CPUs that may cache its translations (BKL) */
    unsigned batching;  /* inside vm_flush_batch: other CPUs' flushes wait (BKL) */
    unsigned nbatched;  /* translations changed in the batch */
    vaddr_t batched[VM_BATCH_VAS];  /* the first of them */
};

/* Whether a CPU other than `me` may cache s's translations.  The shared
 * tier (klock.h) removes none from such a space: it never shoots down,
 * and a frame it frees cannot be written through a stale translation. */
static inline bool vm_cached_elsewhere(const struct vm_space *s, unsigned me)
{
    return (s->cpus & ~(1ul << me)) != 0;
}

/* Page-table pages of an address space are charged to its owner (env.c).
 * vm_table_alloc returns a zeroed page or 0 (quota or memory exhausted). */
paddr_t vm_table_alloc(void *owner);
void vm_table_free(void *owner, paddr_t pa);

/* Build the kernel's final page tables (physmap, W^X image) and switch to them. */
void paging_init(void);
/* Build the shared read-only mappings of the system info page and the
 * page records, which every address space gets at VN_SYSINFO/VN_PAGEINFO. */
void paging_expose_init(paddr_t sysinfo_pa, paddr_t info_pa, uint64_t info_pages);
/* New address space with the kernel half, the read-only page-table window
 * (VN_UVPT), the shared exposed pages and envinfo_pa at VN_ENVINFO.
 * Errors: -E_NOMEM (or the owner's quota error). */
int vm_space_init(struct vm_space *s, void *owner, paddr_t envinfo_pa);
/* Tear down the user half: call release(ctx, va, pa) for every page a
 * libOS mapped, then free all page-table pages. */
void vm_space_destroy(struct vm_space *s, void (*release)(void *ctx, vaddr_t va, paddr_t pa), void *ctx);
/* Map one 4K page at a libOS-mappable address va.  Replaces an existing
 * mapping (the old frame is returned in *old, else 0).
 * Errors: -E_NOMEM, -E_INVAL (va not mappable or unaligned). */
int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned rights, paddr_t *old);
/* Remove the mapping at va, returning its frame.  Errors: -E_NOENT. */
int vm_unmap(struct vm_space *s, vaddr_t va, paddr_t *pa);
/* Change the rights of the mapping at va.  Errors: -E_NOENT. */
int vm_protect(struct vm_space *s, vaddr_t va, unsigned rights);
/* Range changes one leaf table at a time (page_protect): the leaf table
 * covering the 2 MiB-aligned region of user address va in s, as an opaque
 * handle valid while the caller holds the kernel lock and maps nothing
 * (tables are only freed with the space), or NULL if va is not
 * libOS-mappable or has no table. */
void *vm_leaf_table(struct vm_space *s, vaddr_t va);
/* Whether all of the n pages from va (one region, the one of leaf; leaf
 * may be NULL) are mapped. */
bool vm_leaf_all_present(void *leaf, vaddr_t va, size_t n);
/* Set the VM_WRITE/VM_EXEC/VM_USER rights of the n mapped pages from va
 * (checked by vm_leaf_all_present), keeping each mapping's frame and
 * cacheability; flushes each like vm_protect. */
void vm_leaf_protect(struct vm_space *s, void *leaf, vaddr_t va, size_t n, unsigned rights);
/* Physical address of the kernel's own top-level table. */
paddr_t paging_kernel_root(void);
/* Make physical memory outside RAM reachable through the physmap: firmware
 * tables (cached) or device registers (uncached).  Errors: -E_NOMEM,
 * -E_RANGE. */
int vm_kernel_map_phys(paddr_t pa, uint64_t len);
int vm_kernel_map_mmio(paddr_t pa, uint64_t len);
/* Rights of a kernel-half address in the kernel's tables (VM_WRITE,
 * VM_EXEC), or -1 if unmapped.  For self-tests. */
int vm_kernel_rights(vaddr_t va);
/* Whether the last-level table for va exists (mapping there needs no
 * new page-table pages). */
bool vm_table_present(struct vm_space *s, vaddr_t va);
/* Translate va; returns 0 and fills pa/rights, or -E_NOENT if unmapped. */
int vm_lookup(struct vm_space *s, vaddr_t va, paddr_t *pa, unsigned *rights);
/* Batch the other CPUs' TLB flushes of s over many changes: between
 * begin and end, changes are flushed on this CPU only; end makes every
 * other CPU drop them at once (one shootdown, of the few addresses or of
 * everything).  Nothing may be allocated in between, since frames a batch
 * freed may still be cached elsewhere until its end. */
void vm_flush_batch_begin(struct vm_space *s);
void vm_flush_batch_end(struct vm_space *s);
/* Make s the current address space on this CPU. */
void vm_activate(struct vm_space *s);
/* Switch this CPU to the kernel's tables (idle, or s is going away). */
void vm_deactivate(void);

#endif
