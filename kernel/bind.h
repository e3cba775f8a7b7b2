/*
 * Secure bindings of physical pages into address spaces.  Authority is
 * checked once, when the mapping is made (by the syscall layer); the
 * binding then records which capability authorised it, so deleting or
 * revoking that capability removes the mapping, and every mapping holds a
 * reference on its page.
 */
#ifndef KERNEL_BIND_H
#define KERNEL_BIND_H

#include "cap.h"
#include "types.h"

struct env;

struct binding {
    struct env *env;            /* address space holding the mapping */
    vaddr_t va;
    uint64_t pfn;
    struct cap *cap;            /* authorising capability */
    bool may_write;             /* the most page_protect may grant (bind.c) */
    struct binding *cap_next, *cap_prev;    /* list in cap->bindings */
    struct binding *page_next;              /* list in page_bindings(pfn) */
    struct binding **page_pprev;            /* the pointer to it in that list */
};

/* Map page `index` of page capability c at va in e with VM_PROT_* prot,
 * replacing what was there; `own`: e's own space is mapping (else another
 * environment maps into it, and the mapping may never become more than
 * prot).  The caller has checked c's type and rights, index and va.  Errors: -E_NOMEM, -E_QUOTA (page tables or binding
 * records would exceed e's quota); e is unchanged on error. */
int bind_map(struct env *e, vaddr_t va, struct cap *c, uint64_t index, unsigned prot, bool own);
/* Remove the mapping at va in e; returns true if there was one. */
bool bind_unmap(struct env *e, vaddr_t va);
/* Change the rights of the mapping at va (only check, if check_only).
 * Errors: -E_NOENT (nothing mapped), -E_PERM (writable asked above the
 * binding's maximum). */
int bind_protect(struct env *e, vaddr_t va, unsigned prot, bool check_only);
/* Remove every mapping that c authorised (c is being deleted). */
void bind_release_cap(struct cap *c);
/* vm_space_destroy() callback: the mapping va -> pa of e is going away. */
void bind_drop_space_entry(void *env, vaddr_t va, paddr_t pa);

#endif
