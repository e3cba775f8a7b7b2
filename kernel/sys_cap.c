/*
 * Syscall glue for capabilities: decode and check every argument, then
 * invoke cap.c.  A page capability holds a reference on each of its pages,
 * taken here when one is made and dropped by the release hook.
 */
#include <veneer/errors.h>
#include "blk_mux/blk_extent.h"
#include "device.h"
#include "env.h"
#include "irq.h"
#include "net.h"
#include "sys_common.h"
#include "syscall_decl.h"
#include "user_copy.h"

int sys_env_target(capref_t ref, unsigned rights, struct env **out)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), ref, CAP_ENV, rights, &c);
    if (r < 0)
        return r;
    struct env *e = env_lookup((envid_t)c->obj);
    struct cap *root = c;
    while (root->parent)
        root = root->parent;
    /* The id alone could be a reused one: the env must own this tree. */
    if (!e || e->status == ENV_DYING || e->root != root)
        return -E_DEAD;
    *out = e;
    return 0;
}

int sys_env_charged(capref_t ref, struct env **out)
{
    int r = sys_env_target(ref, CR_WRITE, out);
    return r < 0 || *out == arch_curenv() ? r : sys_env_target(ref, CR_WRITE | CR_CONTROL, out);
}

long sys_root_to_caller(struct env *t, capref_t root)
{
    struct env *e = arch_curenv();
    struct cap *c;
    capref_t ref;
    if (env_caps(t) == env_caps(e))
        return root;                    /* the same table: a thread, or its space */
    env_cap_lookup(t, root, 0, 0, &c);
    int r = cap_derive(c, env_caps(e), c->rights, &ref);
    if (r < 0) {
        cap_delete(c);
        return r;
    }
    return ref;
}

long sys_cap_info(capref_t cap, struct vn_capinfo *info)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), cap, 0, 0, &c);
    if (r < 0)
        return r;
    struct vn_capinfo in = {.type = c->type, .rights = c->rights};
    if (c->type == CAP_PAGE) {
        in.object = c->obj * 4096;
        in.count = c->count;
    } else if (c->type == CAP_ENV) {
        struct cap *root = c;
        while (root->parent)
            root = root->parent;
        struct env *e = env_lookup((envid_t)c->obj);
        in.object = c->obj;
        in.count = 1;
        in.env_status = e && e->status != ENV_DYING ? 1 : root->env.state;
        in.exit_status = root->env.status;
    } else if (c->type == CAP_REGS) {
        in.object = c->regs.io ? c->obj : c->obj * 4096;
        in.count = c->regs.n;
    } else if (c->type == CAP_DEVICE) {
        in.object = device_of(c)->f->addr;
        in.count = 1;
    } else if (c->type == CAP_FILTER) {
        struct net_filter *f = net_filter_of(c);
        in.object = c->obj;
        in.count = f ? f->frames : 0;
    } else if (c->type == CAP_BLK) {
        in.object = BLK_OBJ_BASE(c->obj);
        in.count = c->count;
    } else if (c->type == CAP_BLKQ) {
        in.object = c->obj;
        in.count = 1;
    } else if (c->type == CAP_IRQ) {
        struct irq *q = irq_slot((unsigned)c->obj);
        bool live = q && q->kind && q->gen == c->irq.gen;
        in.object = live ? q->vector : 0;
        in.count = live ? q->count : 0;
    }
    return copy_to_user((uint64_t)info, &in, sizeof(in));
}

long sys_cap_derive(capref_t cap, unsigned rights)
{
    struct cap *c;
    capref_t out;
    int r = env_cap_lookup(arch_curenv(), cap, 0, 0, &c);
    if (r < 0 || (r = cap_derive(c, env_caps(arch_curenv()), rights, &out)) < 0)
        return r;
    return out;
}

long sys_cap_grant(capref_t cap, capref_t env, unsigned rights)
{
    struct cap *c;
    struct env *target;
    capref_t out;
    int r = env_cap_lookup(arch_curenv(), cap, 0, CR_GRANT, &c);
    if (r < 0 || (r = sys_env_target(env, CR_WRITE, &target)) < 0 ||
        (r = cap_derive(c, env_caps(target), rights, &out)) < 0)
        return r;
    return out;
}

long sys_cap_revoke(capref_t cap)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), cap, 0, 0, &c);
    if (r < 0)
        return r;
    cap_revoke(c);
    return 0;
}

long sys_cap_delete(capref_t cap)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), cap, 0, 0, &c);
    if (r < 0)
        return r;
    if (cap == CAP_SELF)
        return -E_INVAL;    /* the table's own anchor; exit instead */
    /* The shared tier deletes only what reaches no other table or space:
     * a page root without children or mappings. */
    if (!sys_tier_ok(c->type == CAP_PAGE && !c->parent && !c->first_child && !c->bindings &&
                     !env_space(arch_curenv())->acct))
        return SYSCALL_EXCLUSIVE;
    cap_delete(c);
    return 0;
}
