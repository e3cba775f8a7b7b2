/*
 * The bindings of an address space indexed by virtual address, so that
 * finding the binding of (space, va) costs four steps however many times
 * its frame is mapped elsewhere.  A radix tree of pointer pages over user
 * virtual addresses, shaped like the page tables (four levels of 512
 * slots, VA bits 47..12), its pages charged to the space's owner as page
 * tables are and freed with the address space.
 *
 *   root[va 47..39] -> node[38..30] -> node[29..21] -> leaf[20..12] -> struct binding *
 */
#ifndef KERNEL_BIND_INDEX_H
#define KERNEL_BIND_INDEX_H

#include "types.h"

struct env;
struct binding;

/* The slot of va in the index at *root, or NULL if its leaf does not
 * exist; with `create`, make the missing pages first (charged to e).  An
 * index is an address space's (env->bind_index) or a DMA domain's
 * (device->dma_index, I/O virtual addresses).  Errors (*err, with NULL):
 * -E_QUOTA, -E_NOMEM. */
struct binding **bind_index_slot(void ***root, struct env *e, vaddr_t va, bool create, int *err);
/* Pages that bind_index_slot(root, e, va, true) would have to make (0..4). */
unsigned bind_index_missing(void **root, vaddr_t va);
/* Free every page of the index at *root, charged to e (its bindings are
 * already gone). */
void bind_index_destroy(void ***root, struct env *e);

#endif
