/*
 * Capability tables and derivation tree.
 *
 * A table is a directory page of pointers to pages of struct cap, grown on
 * demand and charged to the owner through the alloc_page hook.  Every
 * capability is a node in one derivation tree per object: derive adds a
 * child with equal or fewer rights (in any table), revoke removes all
 * descendants, delete removes one node.  Removal is iterative (leaf by
 * leaf), so hostile derivation chains cannot overflow the kernel stack.
 * The release hook runs once per removed capability, after it is unlinked.
 */
#include <veneer/errors.h>
#include "cap.h"

static const struct cap_ops *ops;

void cap_init(const struct cap_ops *o) { ops = o; }

/* Add one page of slots.  Errors: -E_NOSPC (directory full), -E_NOMEM. */
static int table_grow(struct captable *t)
{
    uint32_t page = t->nslots / CAPS_PER_PAGE;
    if (page >= CAPDIR_ENTRIES)
        return -E_NOSPC;
    struct cap *caps = ops->alloc_page(t->owner);
    if (!caps)
        return -E_NOMEM;
    for (uint32_t i = 0; i < CAPS_PER_PAGE; i++) {
        caps[i].slot = t->nslots + i;
        caps[i].table = t;
    }
    t->dir[page] = caps;
    t->nslots += CAPS_PER_PAGE;
    return 0;
}

int cap_table_init(struct captable *t, void *owner)
{
    t->owner = owner;
    t->nslots = t->used = t->hint = 0;
    t->dir = ops->alloc_page(owner);
    if (!t->dir)
        return -E_NOMEM;
    int r = table_grow(t);
    if (r < 0) {
        ops->free_page(owner, t->dir);
        t->dir = NULL;
    }
    return r;
}

/* Take a free slot.  Errors: -E_NOSPC, -E_NOMEM. */
static int slot_alloc(struct captable *t, struct cap **out)
{
    if (t->used == t->nslots) {
        int r = table_grow(t);
        if (r < 0)
            return r;
    }
    for (uint32_t n = 0; n < t->nslots; n++) {
        uint32_t s = (t->hint + n) % t->nslots;
        struct cap *c = cap_slot(t, s);
        if (c->type == CAP_NONE) {
            t->hint = s + 1;
            t->used++;
            *out = c;
            return 0;
        }
    }
    return -E_NOSPC;    /* unreachable: used < nslots */
}

static void fill(struct cap *c, unsigned type, unsigned rights, uint64_t obj, uint64_t count)
{
    c->type = (uint8_t)type;
    c->rights = (uint8_t)(rights & CR_ALL);
    c->obj = obj;
    c->count = count;
    c->parent = c->first_child = c->next_sibling = c->prev_sibling = NULL;
    c->bindings = NULL;
}

int cap_lookup(struct captable *t, capref_t ref, unsigned type, unsigned rights, struct cap **out)
{
    if (ref < 0)
        return -E_BADCAP;
    struct cap *c = cap_slot(t, CAPREF_SLOT(ref));
    if (!c || c->type == CAP_NONE || (c->gen & 0x7fff) != CAPREF_GEN(ref))
        return -E_BADCAP;
    if (type && c->type != type)
        return -E_TYPE;
    if ((c->rights & rights) != rights)
        return -E_PERM;
    *out = c;
    return 0;
}

int cap_create_root(struct captable *t, unsigned type, unsigned rights, uint64_t obj, uint64_t count,
                    capref_t *out)
{
    return cap_derive_object(NULL, t, type, rights, obj, count, out);
}

void cap_init_kernel_root(struct cap *c, unsigned type, unsigned rights, uint64_t obj, uint64_t count)
{
    fill(c, type, rights, obj, count);
    c->table = NULL;
    c->gen = 0;
    c->slot = 0;
}

int cap_derive(struct cap *src, struct captable *dst, unsigned rights, capref_t *out)
{
    if (rights & ~(unsigned)src->rights)
        return -E_PERM;
    return cap_derive_object(src, dst, src->type, rights, src->obj, src->count, out);
}

int cap_derive_object(struct cap *src, struct captable *dst, unsigned type, unsigned rights, uint64_t obj,
                      uint64_t count, capref_t *out)
{
    struct cap *c;
    int r = slot_alloc(dst, &c);
    if (r < 0)
        return r;
    fill(c, type, rights, obj, count);
    *out = CAPREF_MAKE(c->slot, c->gen);
    if (src) {
        c->parent = src;
        c->next_sibling = src->first_child;
        if (src->first_child)
            src->first_child->prev_sibling = c;
        src->first_child = c;
    }
    return 0;
}

static void unlink_from_parent(struct cap *c)
{
    if (c->prev_sibling)
        c->prev_sibling->next_sibling = c->next_sibling;
    else if (c->parent)
        c->parent->first_child = c->next_sibling;
    if (c->next_sibling)
        c->next_sibling->prev_sibling = c->prev_sibling;
    c->parent = c->next_sibling = c->prev_sibling = NULL;
}

/* Remove a capability that has no children. */
static void remove_leaf(struct cap *c)
{
    ops->release(c);            /* still linked: the hook can tell a root (no parent) */
    unlink_from_parent(c);
    c->type = CAP_NONE;
    c->rights = 0;
    c->bindings = NULL;
    if (c->table) {
        c->gen = (uint16_t)((c->gen + 1) & 0x7fff);
        c->table->used--;
    }
}

void cap_revoke(struct cap *c)
{
    /* Post-order walk without recursion: descend to a leaf, remove it,
     * continue from its parent; each node is visited a constant number
     * of times, so long chains cost linear time. */
    struct cap *n = c->first_child;
    while (n) {
        while (n->first_child)
            n = n->first_child;
        struct cap *up = n->parent;
        remove_leaf(n);
        n = up == c ? c->first_child : up;
    }
}

void cap_delete(struct cap *c)
{
    if (!c->parent) {
        cap_revoke(c);
    } else {
        /* Hand the children to our parent, keeping their order. */
        struct cap *last = NULL;
        for (struct cap *k = c->first_child; k; k = k->next_sibling) {
            k->parent = c->parent;
            last = k;
        }
        if (last) {
            struct cap *p = c->parent;
            last->next_sibling = p->first_child;
            if (p->first_child)
                p->first_child->prev_sibling = last;
            p->first_child = c->first_child;
            c->first_child->prev_sibling = NULL;
            c->first_child = NULL;
        }
    }
    remove_leaf(c);
}

void cap_table_destroy(struct captable *t)
{
    if (!t->dir)
        return;
    for (uint32_t s = 0; s < t->nslots; s++) {
        struct cap *c = cap_slot(t, s);
        if (c->type != CAP_NONE)
            cap_delete(c);
    }
    for (uint32_t p = 0; p < t->nslots / CAPS_PER_PAGE; p++)
        ops->free_page(t->owner, t->dir[p]);
    ops->free_page(t->owner, t->dir);
    t->dir = NULL;
    t->nslots = t->used = 0;
}
