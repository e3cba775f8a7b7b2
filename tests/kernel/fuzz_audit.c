/*
 * The fuzzing kernel's self-audit (VENEER_FUZZ; hooks in kernel/fuzz.h),
 * run every few thousand syscalls and at the end of the run.  It recounts, from scratch, what the fast
 * paths keep incrementally, and panics on the first disagreement:
 *   - every capability's tree links are mutual, rights never grow down
 *     the tree, and it sits in the table that names it;
 *   - every binding is in its capability's list, its page's reverse map,
 *     and the page table of its environment maps exactly that frame;
 *   - every page's reference count equals page capabilities + bindings;
 *   - the scheduler's queues, heap and buckets (fuzz_sched.c).
 */
#ifdef VENEER_FUZZ
#include <veneer/memlayout.h>
#include "bind.h"
#include "bind_index.h"
#include "device.h"
#include "iommu.h"
#include "blk.h"
#include "blk_mux/blk_extent.h"
#include "net.h"
#include "env.h"
#include "fuzz.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"
#include "sched.h"

static uint32_t *counted;   /* recount of references per frame */
static uint64_t audits;     /* audits passed */

uint64_t kernel_audits_passed(void)
{
    return audits;
}

void audit_init(void)
{
    uint64_t bytes = page_meta_npages * sizeof(uint32_t);
    paddr_t pa = page_alloc_contig((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!pa)
        panic("audit_init: no memory");
    counted = P2V(pa);
}

static void audit_cap(struct env *e, struct cap *c)
{
    if (c->table != &e->caps)
        panic("audit: cap in env %x slot %u names another table", e->id, c->slot);
    /* A device's register and interrupt capabilities are its children
     * (cap_derive_object): another object, rights of another kind. */
    bool made = c->parent && ((c->parent->type == CAP_DEVICE && (c->type == CAP_REGS || c->type == CAP_IRQ)) ||
                              (c->parent->type == CAP_NET && c->type == CAP_FILTER) ||
                              (c->parent->type == CAP_BLK && c->type == CAP_BLKQ));
    /* A derived extent is a sub-range of its parent's, on the same namespace. */
    bool sub = c->parent && c->parent->type == CAP_BLK && c->type == CAP_BLK;
    if (sub && (BLK_OBJ_EXT(c->obj) != BLK_OBJ_EXT(c->parent->obj) ||
                BLK_OBJ_BASE(c->obj) < BLK_OBJ_BASE(c->parent->obj) ||
                !blk_inside(c->parent->count, BLK_OBJ_BASE(c->obj) - BLK_OBJ_BASE(c->parent->obj), c->count)))
        panic("audit: extent %x/%u lies outside its parent's", e->id, c->slot);
    if (c->parent) {
        if (!made && (c->rights & ~c->parent->rights))
            panic("audit: cap %x/%u has rights %x beyond its parent's %x", e->id, c->slot, c->rights,
                  c->parent->rights);
        if (!made && !sub && (c->parent->type != c->type || c->parent->obj != c->obj))
            panic("audit: cap %x/%u differs from its parent", e->id, c->slot);
        if (made && c->type != CAP_FILTER && c->type != CAP_BLKQ && device_of(c) != device_of(c->parent))
            panic("audit: cap %x/%u names another device than its parent", e->id, c->slot);
        bool found = false;
        for (struct cap *k = c->parent->first_child; k && !found; k = k->next_sibling)
            found = k == c;
        if (!found)
            panic("audit: cap %x/%u missing from its parent's children", e->id, c->slot);
    }
    for (struct cap *k = c->first_child; k; k = k->next_sibling)
        if (k->parent != c)
            panic("audit: child of cap %x/%u points elsewhere", e->id, c->slot);
    if (c->type != CAP_PAGE)
        return;
    for (uint64_t i = 0; !c->parent && i < c->count; i++)
        counted[c->obj + i]++;          /* roots hold references; what derives from them dies first */
    for (struct binding *b = c->bindings; b; b = b->cap_next) {
        paddr_t pa;
        if (b->cap != c || b->pfn < c->obj || b->pfn >= c->obj + c->count)
            panic("audit: binding at %lx does not belong to cap %x/%u", b->va, e->id, c->slot);
        bool write;
        if (b->dma && (b->dev->holder == NULL || iommu_lookup(b->dev->dom, b->va, &pa, &write) < 0 ||
                       pa != b->pfn * PAGE_SIZE))
            panic("audit: DMA binding at %lx not in its device's domain", b->va);
        if (!b->dma && (b->env->status == ENV_FREE || vm_lookup(b->env->vm, b->va, &pa, NULL) < 0 ||
                        pa != b->pfn * PAGE_SIZE))
            panic("audit: binding at %lx of env %x not in its page table", b->va, b->env->id);
        struct env *owner = b->dma ? b->dev->owner : b->env;
        struct binding **slot = bind_index_slot(b->dma ? &b->dev->dma_index : &b->env->bind_index, owner, b->va,
                                                false, NULL);
        if (!b->page_pprev || *b->page_pprev != b || (b->page_next && b->page_next->page_pprev != &b->page_next))
            panic("audit: binding at %lx badly linked in the reverse map of frame %lx", b->va, b->pfn);
        if (!slot || *slot != b)
            panic("audit: binding at %lx of env %x missing from its index", b->va, owner->id);
        counted[b->pfn]++;
    }
}

void kernel_audit(void)
{
    for (uint64_t f = 0; f < page_meta_npages; f++)
        counted[f] = 0;
    for (unsigned i = 0; i < NENV; i++) {
        struct env *e = &envs[i];
        if (e->status == ENV_FREE || !e->caps.dir)
            continue;
        for (uint32_t s = 0; s < e->caps.nslots; s++) {
            struct cap *c = cap_slot(&e->caps, s);
            if (c->type != CAP_NONE)
                audit_cap(e, c);
        }
    }
    net_audit_refs(counted);    /* the pages of packet filters' rings */
    blk_audit_refs(counted);    /* block queues' rings, data pages pinned for the disk */
    for (uint64_t f = 0; f < page_meta_npages; f++) {
        if (page_info[f].flags & VN_PI_KERNEL)
            continue;       /* kernel pages and the boot archive: refs from kernel-held roots */
        if (page_info[f].refs != (counted[f] > 0xffff ? 0xffff : counted[f]))
            panic("audit: frame %lx has %u references, recount finds %u", f, page_info[f].refs, counted[f]);
    }
    sched_audit();
    audits++;
}
#endif
