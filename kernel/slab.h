/*
 * Fixed-size kernel object caches carved from pages.  Empty pages go back
 * to the page pool at once, so the free-page count returns exactly to its
 * old value when all objects are freed (the leak checks depend on it).
 */
#ifndef KERNEL_SLAB_H
#define KERNEL_SLAB_H

#include "klock.h"
#include "types.h"

struct slab_page;

struct slab {
    const char *name;
    uint32_t size;              /* object size, a multiple of 8 */
    uint32_t per_page;          /* objects per page after the header */
    struct slab_page *partial;  /* pages with at least one free object */
    uint64_t pages;             /* pages held now */
    struct spinlock lock;       /* for the shared tier (klock.h) */
} __attribute__((aligned(64)));    /* a line each: per-CPU sets share none */

#define SLAB_INIT(n, type) { .name = (n), .size = (uint32_t)((sizeof(type) + 7) & ~7ul) }

/* One object, zeroed, or NULL if memory is exhausted.  Both take the
 * slab's lock (then the pool's), so either tier may call them. */
void *slab_alloc(struct slab *s);
/* Free obj into the cache it came from (its page says which). */
void slab_free(void *obj);

#endif
