/*
 * Secure bindings of pages into address spaces and into device DMA
 * domains.  Authority is checked once, when the mapping is made (by the
 * syscall layer); the binding then records which capability authorised
 * it, so deleting or revoking that capability removes the mapping, from
 * the CPU's page tables and from the IOMMU's alike, and every mapping of
 * RAM holds a reference on its page (a page with a DMA mapping cannot be
 * freed until the IOMMU has forgotten it).
 *
 * Three kinds, one record:
 *   RAM page  -> address space   page capability, cached
 *   BAR page  -> address space   register capability, uncached, no page record
 *   RAM page  -> DMA domain      page capability, the device's I/O address
 */
#ifndef KERNEL_BIND_H
#define KERNEL_BIND_H

#include "cap.h"
#include "types.h"

struct env;
struct device;

struct binding {
    union {
        struct env *env;        /* CPU: the address space holding the mapping */
        struct device *dev;     /* DMA: the device whose domain holds it (va is the I/O
                                   virtual address; its holder's environment is charged) */
    };
    vaddr_t va;
    uint64_t pfn;
    struct cap *cap;            /* authorising capability */
    bool may_write;             /* the most page_protect may grant (bind.c) */
    bool mmio;                  /* device registers (CAP_REGS): uncached, no page record */
    bool dma;                   /* in a DMA domain (dev), not an address space (env) */
    struct binding *cap_next, *cap_prev;    /* list in cap->bindings */
    struct binding *page_next;              /* RAM in a CPU space: page_bindings(pfn); DMA: the
                                               device's list; MMIO: unused */
    struct binding **page_pprev;            /* the pointer to it in that list */
};

/* Map page `index` of capability c (CAP_PAGE, or a memory CAP_REGS) at va
 * in e with VM_PROT_* prot, replacing what was there; `own`: e's own space
 * is mapping (else another environment maps into it, and the mapping may
 * never become more than prot).  The caller has checked c's type and
 * rights, index and va.  Errors: -E_NOMEM, -E_QUOTA (page tables or
 * binding records would exceed e's quota); e is unchanged on error. */
int bind_map(struct env *e, vaddr_t va, struct cap *c, uint64_t index, unsigned prot, bool own);
/* Pages of quota n more binding records may cost at most (they are
 * charged a slab page's worth at a time). */
uint64_t bind_records_worst(uint64_t n);
/* Remove the mapping at va in e; returns true if there was one. */
bool bind_unmap(struct env *e, vaddr_t va);
/* Change the rights of the mapping at va (only check, if check_only).
 * Errors: -E_NOENT (nothing mapped), -E_PERM (writable asked above the
 * binding's maximum). */
int bind_protect(struct env *e, vaddr_t va, unsigned prot, bool check_only);
/* Change the rights of the n (<= VN_RANGE_MAX) mapped pages from va, all
 * or none: every page is checked first, in one walk of the page tables and
 * of the binding index per 2 MiB region, and only then are all changed.
 * Each mapping keeps its frame and cacheability.  Errors: -E_INVAL (n too
 * large), -E_NOENT (a page not mapped by a libOS), -E_PERM (writable asked
 * above a binding's maximum). */
int bind_protect_range(struct env *e, vaddr_t va, size_t n, unsigned prot);
/* Make page `index` of page capability c reachable by device d's DMA at
 * iova (writable by it if `write`), charging e.  The caller has checked
 * the rights and that iova is free and in range.  Errors: -E_QUOTA,
 * -E_NOMEM (index, page-table or binding pages). */
int bind_dma_map(struct device *d, struct env *e, uint64_t iova, struct cap *c, uint64_t index, bool write);
/* Remove d's DMA mapping at iova (the IOTLB has forgotten it when this
 * returns); returns true if there was one. */
bool bind_dma_unmap(struct device *d, uint64_t iova);
/* Remove every DMA mapping of d, and free its index. */
void bind_dma_unmap_all(struct device *d);
/* Remove every mapping that c authorised (c is being deleted). */
void bind_release_cap(struct cap *c);
/* vm_space_destroy() callback: the mapping va -> pa of e is going away. */
void bind_drop_space_entry(void *env, vaddr_t va, paddr_t pa);

#endif
