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

struct vm_space {
    paddr_t root;       /* top-level page table (PML4 on x86_64) */
};

/* Build the kernel's final page tables (physmap, W^X image) and switch to them. */
void paging_init(void);
/* New address space with only the kernel half.  Errors: -E_NOMEM. */
int vm_space_init(struct vm_space *s);
/* Tear down the user half: call release(pa) for every mapped user page,
 * then free all page-table pages. */
void vm_space_destroy(struct vm_space *s, void (*release)(paddr_t pa));
/* Map one 4K page at user address va.  Replaces an existing mapping (the
 * old frame is returned in *old, else 0).  Errors: -E_NOMEM, -E_INVAL. */
int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned rights, paddr_t *old);
/* Translate va; returns 0 and fills pa/rights, or -E_NOENT if unmapped. */
int vm_lookup(struct vm_space *s, vaddr_t va, paddr_t *pa, unsigned *rights);
/* Make s the current address space on this CPU. */
void vm_activate(struct vm_space *s);

#endif
