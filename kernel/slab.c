/*
 * Slab allocator: each page starts with a header (free list, count of
 * objects in use, links among the cache's partial pages) followed by
 * equal-sized objects.  Full pages are unlinked; a page whose last object
 * is freed is returned to the pool.
 */
#include "klib.h"
#include "panic.h"
#include "pmem.h"
#include "slab.h"

struct slab_page {
    struct slab *owner;         /* the cache it belongs to */
    void *free;                 /* first free object (linked through word 0) */
    uint32_t inuse;
    struct slab_page *next, *prev;  /* partial list */
};

static void partial_unlink(struct slab *s, struct slab_page *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else if (s->partial == p)
        s->partial = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->next = p->prev = NULL;
}

static void partial_push(struct slab *s, struct slab_page *p)
{
    p->prev = NULL;
    p->next = s->partial;
    if (s->partial)
        s->partial->prev = p;
    s->partial = p;
}

void *slab_alloc(struct slab *s)
{
    spin_lock(&s->lock);
    if (!s->per_page)
        s->per_page = (uint32_t)((PAGE_SIZE - sizeof(struct slab_page)) / s->size);
    struct slab_page *p = s->partial;
    if (!p) {
        paddr_t pa = page_alloc();
        if (!pa) {
            spin_unlock(&s->lock);
            return NULL;
        }
        p = P2V(pa);
        uint8_t *obj = (uint8_t *)(p + 1);
        for (uint32_t i = 0; i < s->per_page; i++) {
            *(void **)(obj + i * s->size) = i + 1 < s->per_page ? obj + (i + 1) * s->size : NULL;
        }
        p->owner = s;
        p->free = obj;
        p->inuse = 0;
        p->next = p->prev = NULL;
        partial_push(s, p);
        s->pages++;
    }
    void *o = p->free;
    p->free = *(void **)o;
    p->inuse++;
    if (!p->free)
        partial_unlink(s, p);
    spin_unlock(&s->lock);
    memset(o, 0, s->size);
    return o;
}

void slab_free(void *obj)
{
    struct slab_page *p = (struct slab_page *)ROUND_DOWN((uint64_t)obj, PAGE_SIZE);
    struct slab *s = p->owner;
    spin_lock(&s->lock);
    if (p->inuse == 0)
        panic("slab_free: %s: free into an empty page", s->name);
    bool was_full = p->free == NULL;
    *(void **)obj = p->free;
    p->free = obj;
    p->inuse--;
    if (p->inuse == 0) {
        if (!was_full)
            partial_unlink(s, p);
        s->pages--;
        page_free(V2P(p));
    } else if (was_full) {
        partial_push(s, p);
    }
    spin_unlock(&s->lock);
}
