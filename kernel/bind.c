/*
 * Secure bindings.  A binding links three things: the page table entry
 * (va in env's address space), the physical page (reverse map, for
 * lookups by frame) and the authorising capability (for revocation).
 * Binding records are charged to the address space's owner, one page of
 * quota per BINDINGS_PER_CHARGE records, like page tables.  Every lookup
 * goes through the space's index (bind_index.c) and every unlink is O(1),
 * so no operation walks a frame's reverse map, however often it is mapped.
 * A binding also fixes the most its mapping may be raised to: writable
 * only if the capability allows it and either the address space's own
 * environment made the mapping (it could remap with that capability
 * anyway) or the mapper asked for writable; so page_protect, which checks
 * only the right to map into the space, cannot lift a read-only mapping
 * that another environment gave it.
 *
 * Register pages (CAP_REGS) are mapped uncached and have no page record:
 * they are not RAM, so no reference or reverse map.  DMA bindings live in
 * the device's index by I/O virtual address and on its list; removing one
 * unmaps it from the IOMMU (waiting for the IOTLB) before the page
 * reference goes.
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "bind.h"
#include "bind_index.h"
#include "device.h"
#include "iommu.h"
#include "env.h"
#include "page_meta.h"
#include "klock.h"
#include "panic.h"
#include "slab.h"

/* Records per page of the slab (after its header): one page of quota each. */
#define BINDINGS_PER_CHARGE ((PAGE_SIZE - 64) / sizeof(struct binding))

/* One cache per CPU, so that CPUs in the shared tier (klock.h) share no
 * slab line; a record goes back to the cache it came from. */
#define BIND_SLABS 16
static struct slab binding_slabs[BIND_SLABS] = {[0 ... BIND_SLABS - 1] = SLAB_INIT("binding", struct binding)};
#define binding_slab binding_slabs[cpu_id() % BIND_SLABS]     /* to allocate from */

uint64_t bind_records_worst(uint64_t n) { return n / BINDINGS_PER_CHARGE + 1; }

static unsigned prot_to_vm(unsigned prot, bool mmio)
{
    return VM_USER | ((prot & VM_PROT_WRITE) ? VM_WRITE : 0) | ((prot & VM_PROT_EXEC) ? VM_EXEC : 0) |
           (mmio ? VM_UNCACHED : 0);
}

/* The binding of (e, va), or NULL. */
static struct binding *find(struct env *e, vaddr_t va)
{
    struct binding **slot = bind_index_slot(&e->bind_index, e, va, false, NULL);
    return slot ? *slot : NULL;
}

static void ***index_of(struct binding *b)
{
    return b->dma ? &b->dev->dma_index : &b->env->bind_index;
}

/* The environment charged for b. */
static struct env *charged(struct binding *b) { return b->dma ? b->dev->owner : b->env; }

/* Put b at the head of the list at *head (reverse map or device list). */
static void list_push(struct binding **head, struct binding *b)
{
    b->page_next = *head;
    b->page_pprev = head;
    if (*head)
        (*head)->page_pprev = &b->page_next;
    *head = b;
}

static void cap_list_push(struct cap *c, struct binding *b)
{
    b->cap_next = c->bindings;
    b->cap_prev = NULL;
    if (c->bindings)
        ((struct binding *)c->bindings)->cap_prev = b;
    c->bindings = b;
}

/* Charge e for one more binding record.  Errors: the quota's. */
static int charge_binding(struct env *e, bool *charged)
{
    *charged = e->nbindings % BINDINGS_PER_CHARGE == 0;
    return *charged ? env_charge(e, 1) : 0;
}

static void cap_list_remove(struct binding *b)
{
    if (b->cap_prev)
        b->cap_prev->cap_next = b->cap_next;
    else
        b->cap->bindings = b->cap_next;
    if (b->cap_next)
        b->cap_next->cap_prev = b->cap_prev;
}

/* Unlink and free binding b (already removed from the page table): from
 * its frame's reverse map, its capability's list and the index.  With
 * `count`, the address space has one binding fewer (else it is being
 * replaced in place and the count stays). */
static void binding_free(struct binding *b, bool count)
{
    struct spinlock *l = page_obj_lock(b->cap->obj);
    spin_lock(l);
    if (b->page_pprev) {
        *b->page_pprev = b->page_next;
        if (b->page_next)
            b->page_next->page_pprev = b->page_pprev;
    }
    cap_list_remove(b);
    if (!b->mmio)
        page_unref(b->pfn);
    spin_unlock(l);
    struct env *e = charged(b);
    struct binding **slot = bind_index_slot(index_of(b), e, b->va, false, NULL);
    if (slot && *slot == b)
        *slot = NULL;
    if (b->dma)
        b->dev->dma_pages--;
    slab_free(b);
    if (count && --e->nbindings % BINDINGS_PER_CHARGE == 0)
        env_uncharge_env(e, 1);
}

int bind_map(struct env *e, vaddr_t va, struct cap *c, uint64_t index, unsigned prot, bool own)
{
    uint64_t pfn = c->obj + index;
    bool mmio = c->type == CAP_REGS;
    paddr_t cur;
    bool replacing = vm_lookup(e->vm, va, &cur, NULL) == 0, charged = false;
    int r;
    if (!replacing && (r = charge_binding(e, &charged)) < 0)
        return r;
    struct binding *b = slab_alloc(&binding_slab), **slot = NULL;
    r = b ? 0 : -E_NOMEM;
    /* The index page and the page tables come next: the last steps that
     * can fail (index pages made stay, charged, until the space goes). */
    paddr_t old = 0;
    if (b && (!(slot = bind_index_slot(&e->bind_index, e, va, true, &r)) ||
              (r = vm_map(e->vm, va, pfn * PAGE_SIZE, prot_to_vm(prot, mmio), &old)) < 0))
        slab_free(b);
    if (r < 0) {
        if (charged)
            env_uncharge_env(e, 1);
        return r;
    }
    if (old) {
        if (!*slot || (*slot)->pfn != old / PAGE_SIZE)
            panic("bind_map: mapping at %lx without a binding", va);
        binding_free(*slot, false);
    } else {
        e->nbindings++;
    }
    *b = (struct binding){.env = e, .va = va, .pfn = pfn, .cap = c, .mmio = mmio,
                          .may_write = (c->rights & CR_WRITE) && (own || (prot & VM_PROT_WRITE))};
    struct spinlock *l = page_obj_lock(c->obj);
    spin_lock(l);
    cap_list_push(c, b);
    if (!mmio) {
        list_push(page_bindings(pfn), b);
        page_ref(pfn);
    }
    spin_unlock(l);
    *slot = b;
    return 0;
}

int bind_dma_map(struct device *d, struct env *e, uint64_t iova, struct cap *c, uint64_t index, bool write)
{
    if (e != d->owner)
        panic("bind_dma_map: charging env %x, not the holder's", e->id);
    uint64_t pfn = c->obj + index;
    bool charged;
    int r = charge_binding(e, &charged);
    if (r < 0)
        return r;
    struct binding *b = slab_alloc(&binding_slab), **slot = NULL;
    r = b ? 0 : -E_NOMEM;
    if (b && (!(slot = bind_index_slot(&d->dma_index, e, iova, true, &r)) ||
              (r = iommu_map(d->dom, iova, pfn * PAGE_SIZE, write)) < 0))
        slab_free(b);
    if (r < 0) {
        if (charged)
            env_uncharge_env(e, 1);
        return r;
    }
    if (*slot)
        panic("bind_dma_map: iova %lx already bound", iova);
    *b = (struct binding){.dev = d, .dma = true, .va = iova, .pfn = pfn, .cap = c, .may_write = write};
    e->nbindings++;
    d->dma_pages++;
    list_push(&d->dma_list, b);
    struct spinlock *l = page_obj_lock(c->obj);
    spin_lock(l);
    cap_list_push(c, b);
    page_ref(pfn);
    spin_unlock(l);
    *slot = b;
    return 0;
}

/* Take b out of the IOMMU (the device cannot reach the page once this
 * returns), then free it. */
static void dma_binding_drop(struct binding *b)
{
    paddr_t pa;
    if (iommu_unmap(b->dev->dom, b->va, &pa) < 0 || pa != b->pfn * PAGE_SIZE)
        panic("bind: DMA binding %lx not in its domain", b->va);
    binding_free(b, true);
}

bool bind_dma_unmap(struct device *d, uint64_t iova)
{
    struct binding **slot = bind_index_slot(&d->dma_index, d->owner, iova, false, NULL);
    if (!slot || !*slot)
        return false;
    dma_binding_drop(*slot);
    return true;
}

void bind_dma_unmap_all(struct device *d)
{
    struct env *e = d->owner;
    while (d->dma_list)
        dma_binding_drop(d->dma_list);
    if (e)
        bind_index_destroy(&d->dma_index, e);
}

bool bind_unmap(struct env *e, vaddr_t va)
{
    paddr_t pa;
    if (vm_unmap(e->vm, va, &pa) < 0)
        return false;
    struct binding *b = find(e, va);
    if (!b || b->pfn != pa / PAGE_SIZE)
        panic("bind_unmap: mapping at %lx without a binding", va);
    binding_free(b, true);
    return true;
}

int bind_protect(struct env *e, vaddr_t va, unsigned prot, bool check_only)
{
    paddr_t pa;
    if (vm_lookup(e->vm, va, &pa, NULL) < 0)
        return -E_NOENT;
    struct binding *b = find(e, va);
    if (!b)
        return -E_NOENT;    /* not a libOS mapping (exposed kernel data) */
    if ((prot & VM_PROT_WRITE) && !b->may_write)
        return -E_PERM;
    return check_only ? 0 : vm_protect(e->vm, va, prot_to_vm(prot, b->mmio));
}

/* The 2 MiB regions (one page-table leaf, one index leaf) that a range
 * of VN_RANGE_MAX pages can touch. */
#define PROTECT_REGIONS (VN_RANGE_MAX / 512 + 1)

int bind_protect_range(struct env *e, vaddr_t va, size_t n, unsigned prot)
{
    struct { void *leaf; vaddr_t va; size_t n; } reg[PROTECT_REGIONS];
    size_t nreg = 0;
    if (n > VN_RANGE_MAX)
        return -E_INVAL;
    /* Decode: one page-table walk and one index walk per region, then
     * every page of it mapped, bound, and allowed the rights asked. */
    for (size_t done = 0; done < n; nreg++) {
        vaddr_t a = va + done * PAGE_SIZE;
        size_t k = 512 - ((a >> 12) & 511);
        if (k > n - done)
            k = n - done;
        void *leaf = vm_leaf_table(e->vm, a);
        struct binding **slot = bind_index_slot(&e->bind_index, e, a, false, NULL);
        if (!slot || !vm_leaf_all_present(leaf, a, k))
            return -E_NOENT;
        for (size_t i = 0; i < k; i++) {
            struct binding *b = slot[i];
            if (!b)
                return -E_NOENT;    /* not a libOS mapping (exposed kernel data) */
            if ((prot & VM_PROT_WRITE) && !b->may_write)
                return -E_PERM;
        }
        reg[nreg].leaf = leaf, reg[nreg].va = a, reg[nreg].n = k;
        done += k;
    }
    /* Invoke: the saved leaves, nothing looked up again; device registers
     * stay uncached, as vm_leaf_protect keeps each page's cacheability. */
    vm_flush_batch_begin(e->vm);
    for (size_t i = 0; i < nreg; i++)
        vm_leaf_protect(e->vm, reg[i].leaf, reg[i].va, reg[i].n, prot_to_vm(prot, false));
    vm_flush_batch_end(e->vm);
    return 0;
}

void bind_release_cap(struct cap *c)
{
    while (c->bindings) {
        struct binding *b = c->bindings;
        paddr_t pa;
        if (b->dma) {
            dma_binding_drop(b);
            continue;
        }
        if (vm_unmap(b->env->vm, b->va, &pa) < 0 || pa != b->pfn * PAGE_SIZE)
            panic("bind_release_cap: binding %lx not in its page table", b->va);
        binding_free(b, true);
    }
}

void bind_drop_space_entry(void *env, vaddr_t va, paddr_t pa)
{
    struct binding *b = find(env, va);
    if (!b || b->pfn != pa / PAGE_SIZE)
        panic("bind_drop_space_entry: mapping at %lx without a binding", va);
    binding_free(b, true);
}
