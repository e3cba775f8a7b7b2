/*
 * Index of an address space's bindings by virtual address (see
 * bind_index.h).  Pages come from vm_table_alloc, so they are zeroed and
 * charged to the owner like page tables.
 */
#include <veneer/errors.h>
#include "bind_index.h"
#include "env.h"
#include "pmem.h"

#define LEVELS 4
#define SLOTS  512

static unsigned slot_of(vaddr_t va, int level)
{
    return (unsigned)(va >> (12 + 9 * level)) & (SLOTS - 1);
}

/* Make *link point to an index page if it does not; false if it cannot. */
static bool ensure(struct env *e, void ***link, bool create, int *err)
{
    paddr_t pa;
    if (*link)
        return true;
    if (!create || !(pa = vm_table_alloc(e))) {
        if (err)
            *err = create ? (env_room(e) == 0 ? -E_QUOTA : -E_NOMEM) : 0;
        return false;
    }
    *link = P2V(pa);
    return true;
}

struct binding **bind_index_slot(void ***root, struct env *e, vaddr_t va, bool create, int *err)
{
    void ***link = root;
    for (int level = LEVELS - 1; level > 0; level--) {
        if (!ensure(e, link, create, err))
            return NULL;
        link = (void ***)&(*link)[slot_of(va, level)];
    }
    if (!ensure(e, link, create, err))
        return NULL;
    return (struct binding **)&(*link)[slot_of(va, 0)];
}

unsigned bind_index_missing(void **root, vaddr_t va)
{
    void **node = root;
    unsigned missing = LEVELS;
    for (int level = LEVELS - 1; node && level >= 0; level--) {
        missing--;
        node = level ? node[slot_of(va, level)] : NULL;
    }
    return missing;
}

static void destroy(struct env *e, void **node, int level)
{
    for (unsigned i = 0; level > 0 && i < SLOTS; i++)
        if (node[i])
            destroy(e, node[i], level - 1);
    vm_table_free(e, V2P(node));
}

void bind_index_destroy(void ***root, struct env *e)
{
    if (*root)
        destroy(e, *root, LEVELS - 1);
    *root = NULL;
}
