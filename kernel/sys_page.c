/*
 * Syscall glue for physical pages and their bindings.  page_map copies the
 * whole batch into the kernel once (no re-reading user memory), checks
 * every entry and that the quota and free memory cover the worst case, and
 * only then applies it, so it either maps everything or nothing.
 * page_alloc, page_map and page_unmap in the caller's own space (without
 * a shared account) also run in the shared tier (klock.h).
 */
#include <veneer/errors.h>
#include "bind.h"
#include "bind_index.h"
#include "device.h"
#include "env.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"
#include "sys_common.h"
#include "syscall_decl.h"
#include "user_copy.h"

/* One batch buffer under the big lock; a shared-tier call (klock.h) maps
 * at most SHARED_MAP_MAX entries, from its own stack. */
static struct vn_map_entry map_batch[VN_MAP_BATCH_MAX];
#define SHARED_MAP_MAX 16

long sys_page_alloc(capref_t env, uint64_t paddr, uint64_t count)
{
    struct env *t;
    int r = sys_env_charged(env, &t);
    if (r < 0)
        return r;
    if (count == 0 || count > 512 || paddr % PAGE_SIZE || (paddr && count != 1))
        return -E_INVAL;
    /* A given page or a run, or memory so short that the pages may sit in
     * other CPUs' stashes: the big lock's, which can take them back (pmem.c). */
    if (!sys_tier_ok(env_space(t) == env_space(arch_curenv()) && !env_space(t)->acct && !paddr && count == 1 &&
                     sys_pages_free(count + 2)))
        return SYSCALL_EXCLUSIVE;
    /* The root goes to the environment charged, so the pages die with it;
     * a caller filling a child gets a derived capability. */
    capref_t root;
    if ((r = env_page_root(t, paddr, count, &root)) < 0)
        return r;
    return sys_root_to_caller(t, root);
}

long sys_page_share(capref_t cap, capref_t env, unsigned rights)
{
    struct env *e = arch_curenv(), *t;
    struct cap *c;
    capref_t out;
    int r = env_cap_lookup(e, cap, CAP_PAGE, CR_GRANT, &c);
    if (r < 0 || (r = sys_env_charged(env, &t)) < 0)
        return r;
    t = env_space(t);                   /* the root goes to env_caps(t): charge its owner */
    /* Only a root may make another root: a derived capability (granted, or
     * received) must stay revocable by its root's holder. */
    if (c->parent || (rights & ~(unsigned)c->rights) || (page_info[c->obj].flags & VN_PI_KERNEL))
        return -E_PERM;
    if ((r = env_charge(t, c->count)) < 0)
        return r;
    if ((r = cap_create_root(env_caps(t), CAP_PAGE, rights, c->obj, c->count, &out)) < 0) {
        env_uncharge_env(t, c->count);
        return r;
    }
    page_ref_range(c->obj, c->count);
    return out;
}

long sys_page_map(capref_t env, const struct vn_map_entry *entries, size_t n)
{
    struct env *e = arch_curenv(), *t;
    int r = sys_env_target(env, CR_MAP, &t);
    if (r < 0)
        return r;
    t = env_space(t);
    bool own = env_space(e) == t;
    if (n == 0 || n > VN_MAP_BATCH_MAX)
        return -E_INVAL;
    if (!sys_tier_ok(own && !t->acct && n <= SHARED_MAP_MAX && !vm_cached_elsewhere(t->vm, cpu_id())))
        return SYSCALL_EXCLUSIVE;   /* (a mapping it replaces is removed) */
    struct vn_map_entry local[SHARED_MAP_MAX], *batch = kernel_shared_held() ? local : map_batch;
    if ((r = copy_from_user(batch, (uint64_t)entries, n * sizeof(batch[0]))) < 0)
        return r;
    /* Decode: every entry, and the worst-case cost, before any change. */
    uint64_t worst = 1 + bind_records_worst(n), last_region = ~0ul;
    for (size_t i = 0; i < n; i++) {
        struct vn_map_entry *m = &batch[i];
        struct cap *c;
        unsigned need = CR_MAP | CR_READ | ((m->prot & VM_PROT_WRITE) ? CR_WRITE : 0);
        if (m->va % PAGE_SIZE || !VN_USER_MAPPABLE(m->va) || (m->prot & ~(VM_PROT_WRITE | VM_PROT_EXEC)))
            return -E_INVAL;
        if ((r = env_cap_lookup(e, m->cap, 0, need, &c)) < 0)
            return r;
        if (!sys_tier_ok(c->type == CAP_PAGE))
            return SYSCALL_EXCLUSIVE;   /* device registers: the device's state */
        if (c->type == CAP_REGS) {
            /* Device registers: memory BARs only, never executable, and
             * never the MSI-X table or PBA (the kernel programs those). */
            if (c->regs.io || (m->prot & VM_PROT_EXEC))
                return -E_INVAL;
            if (m->index >= c->regs.n)
                return -E_RANGE;
            if (device_bar_page_reserved(device_of(c), c->regs.bar, m->index))
                return -E_PERM;
        } else if (c->type != CAP_PAGE) {
            return -E_TYPE;
        } else if (m->index >= c->count) {
            return -E_RANGE;
        }
        if (m->va >> 21 != last_region)
            worst += (vm_table_present(t->vm, m->va) ? 0 : 3) + bind_index_missing(t->bind_index, m->va);
        last_region = m->va >> 21;
    }
    if (worst > env_room(t))
        return -E_QUOTA;
    if (!sys_pages_free(worst + 1))
        return kernel_shared_held() ? SYSCALL_EXCLUSIVE : -E_NOMEM;
    /* Invoke. */
    for (size_t i = 0; i < n; i++) {
        struct vn_map_entry *m = &batch[i];
        struct cap *c;
        env_cap_lookup(e, m->cap, 0, 0, &c);
        if ((r = bind_map(t, m->va, c, m->index, m->prot, own)) < 0)
            panic("page_map: entry %lu failed (%d) after the checks", (uint64_t)i, r);
    }
    return (long)n;
}

/* Check that [va, va + npages pages) is page-aligned libOS-mappable space. */
static bool range_ok(uint64_t va, size_t npages)
{
    return va % PAGE_SIZE == 0 && npages <= VN_RANGE_MAX && VN_USER_MAPPABLE(va) &&
           (npages == 0 || VN_USER_MAPPABLE(va + (npages - 1) * PAGE_SIZE)) &&
           va + npages * PAGE_SIZE >= va;
}

long sys_page_unmap(capref_t env, uint64_t va, size_t npages)
{
    struct env *t;
    int r = sys_env_target(env, CR_MAP, &t);
    if (r < 0)
        return r;
    t = env_space(t);
    if (!range_ok(va, npages))
        return -E_INVAL;
    if (!sys_tier_ok(env_space(arch_curenv()) == t && !t->acct && !vm_cached_elsewhere(t->vm, cpu_id())))
        return SYSCALL_EXCLUSIVE;
    long removed = 0;
    vm_flush_batch_begin(t->vm);
    for (size_t i = 0; i < npages; i++)
        removed += bind_unmap(t, va + i * PAGE_SIZE);
    vm_flush_batch_end(t->vm);
    return removed;
}

long sys_page_protect(capref_t env, uint64_t va, size_t npages, unsigned prot)
{
    struct env *t;
    int r = sys_env_target(env, CR_MAP, &t);
    if (r < 0)
        return r;
    t = env_space(t);
    if (!range_ok(va, npages) || (prot & ~(VM_PROT_WRITE | VM_PROT_EXEC)))
        return -E_INVAL;
    /* Decode (all pages mapped and the rights allowed), then invoke. */
    return bind_protect_range(t, va, npages, prot);
}
