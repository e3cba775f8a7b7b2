/*
 * Environment table, life cycle, quotas, upcalls and the revocation
 * protocol.  Slots are reused; an envid carries a generation so a stale id
 * never names a new environment.
 *
 * Accounting: every page an environment causes to exist is charged to it:
 * its user pages (one charge per root page capability in its table: the
 * allocation's or one from page_share), its page tables, capability
 * table pages, binding records and info page.  A child's quota is reserved
 * from its parent's, unless it was made by env_create_shared: then the
 * quota is only its limit, and each page is charged, as it comes, both to
 * it and to its account (the quota its creator's tree shares).  At
 * teardown the charge must come back to zero, which is checked: an
 * accounting bug cannot hide.
 */
#include <veneer/errors.h>
#include "bind.h"
#include "bind_index.h"
#include "device.h"
#include "blk.h"
#include "net.h"
#include "boot_info.h"
#include "console.h"
#include "elf_load.h"
#include "env.h"
#include "klib.h"
#include "ipc.h"
#include "klock.h"
#include "sched.h"
#include "fuzz.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"
#include "user_copy.h"

struct env envs[NENV];
static unsigned env_alive;
static uint32_t slot_generation[NENV];   /* each slot's last generation: an id comes back only after 2^17 reuses of its slot */
static uint32_t slot_hint;
static envid_t first_env;           /* id of the first environment created */
static int first_status = -1;       /* its exit status once it has exited */
static struct env *reap_head;       /* destruction queue */

unsigned env_count(void) { return env_alive; }

/* ------------------------------------------------------------ accounting */

/* Pages e's quota still covers: its own charge and its sharers'. */
static uint64_t quota_room(const struct env *e)
{
    uint64_t used = e->held + e->acct_held;
    return used < e->quota ? e->quota - used : 0;
}

uint64_t env_room(struct env *e)
{
    uint64_t own = quota_room(e), acct = e->acct ? quota_room(e->acct) : own;
    return own < acct ? own : acct;
}

/* Show e's charge (its own and its sharers') in its info page. */
static void publish(struct env *e)
{
    if (e && e->info)
        e->info->held = e->held + e->acct_held;
}

int env_charge(struct env *e, uint64_t pages)
{
    if (pages > env_room(e))
        return -E_QUOTA;
    e->held += pages;
    if (e->acct)
        e->acct->acct_held += pages;
    publish(e);
    publish(e->acct);
    return 0;
}

void env_uncharge_env(struct env *e, uint64_t pages)
{
    if (e->held < pages || (e->acct && e->acct->acct_held < pages))
        panic("env_uncharge: env %x holds %lu, uncharging %lu", e->id, e->held, pages);
    e->held -= pages;
    if (e->acct)
        e->acct->acct_held -= pages;
    publish(e);
    publish(e->acct);
}

/* Give e's reservation back to its parent (a shared child made none). */
static void env_unreserve(struct env *e)
{
    struct env *p = env_lookup(e->parent);
    if (p && !e->shared)
        env_uncharge_env(p, e->quota);
    e->parent = 0;
}

paddr_t env_page_alloc(struct env *e, int *err)
{
    paddr_t pa = 0;
    if ((*err = env_charge(e, 1)) == 0 && !(pa = page_alloc())) {
        env_uncharge_env(e, 1);
        *err = -E_NOMEM;
    }
    return pa;
}

void env_page_free(struct env *e, paddr_t pa)
{
    page_free(pa);
    env_uncharge_env(e, 1);
}

paddr_t vm_table_alloc(void *owner) { int err; return env_page_alloc(owner, &err); }
void vm_table_free(void *owner, paddr_t pa) { env_page_free(owner, pa); }
static void *cap_page_alloc(void *owner) { paddr_t pa = vm_table_alloc(owner); return pa ? P2V(pa) : NULL; }
static void cap_page_free(void *owner, void *page) { env_page_free(owner, V2P(page)); }

/* A capability is leaving its table: drop what it names or authorised. */
static void cap_release(struct cap *c)
{
    if (c->type == CAP_PAGE) {
        bind_release_cap(c);
        /* Only a root holds references to its pages (what derives from
         * it is revoked before it goes), and each root (the allocation's,
         * or a page_share one) charges the environment whose table holds
         * it, until it goes. */
        if (!c->parent)
            page_unref_range(c->obj, c->count);
        if (!c->parent && c->table)
            env_uncharge_env(c->table->owner, c->count);
    } else if (c->type == CAP_DEVICE || c->type == CAP_REGS || c->type == CAP_IRQ) {
        device_cap_release(c);
    } else if (c->type == CAP_FILTER) {
        net_filter_release(c);
    } else if (c->type == CAP_BLK || c->type == CAP_BLKQ) {
        blk_cap_release(c);
    } else if (c->type == CAP_NOTIFY && !c->parent) {
        notify_release(c);
    } else if (c->type == CAP_ENV && !c->parent) {
        /* Deleting the root of an environment destroys it. */
        struct env *e = env_lookup((envid_t)c->obj);
        if (e && e->root == c) {
            e->root = NULL;
            env_unreserve(e);
            env_destroy(e, -1, 0);
        }
    }
}

static const struct cap_ops env_cap_ops = {cap_page_alloc, cap_page_free, cap_release};

void env_init(void) { cap_init(&env_cap_ops); }

/* ------------------------------------------------------------ creation */

static struct env *slot_alloc(void)
{
    for (unsigned n = 0; n < NENV; n++) {
        unsigned i = (slot_hint + n) % NENV;
        if (envs[i].status == ENV_FREE) {
            struct env *e = &envs[i];
            memset(e, 0, sizeof(*e));
            do
                e->id = (envid_t)((++slot_generation[i] << VN_ENV_SLOT_BITS) | i) & 0x7fffffff;
            while (e->id == 0);
            slot_hint = i + 1;
            return e;
        }
    }
    return NULL;
}

static void env_teardown(struct env *e);
static int env_build(struct env *parent, struct env *space, struct env *acct, uint64_t quota, const char *name,
                     struct env **out, capref_t *ref);

int env_create(struct env *parent, struct env *space, uint64_t quota, const char *name, struct env **out,
               capref_t *ref)
{
    return env_build(parent, space, NULL, quota, name, out, ref);
}

int env_create_shared(struct env *parent, uint64_t quota, const char *name, struct env **out, capref_t *ref)
{
    struct env *owner = env_space(parent);
    if (quota > owner->quota)
        return -E_QUOTA;
    return env_build(parent, NULL, owner->acct ? owner->acct : owner, quota, name, out, ref);
}

/* env_create, charging acct (if not NULL) instead of reserving quota. */
static int env_build(struct env *parent, struct env *space, struct env *acct, uint64_t quota, const char *name,
                     struct env **out, capref_t *ref)
{
    if (quota < ENV_MIN_QUOTA)
        return -E_QUOTA;
    struct env *e = slot_alloc();
    if (!e)
        return -E_NOSPC;
    int r;
    if (parent && !acct && (r = env_charge(parent, quota)) < 0) {
        e->id = 0;
        return r;
    }
    if (acct) {
        e->shared = true;
        e->acct = acct;
        acct->nsharers++;
    }
    memcpy(e->name, name, strnlen(name, ENV_NAME_MAX - 1));
    e->quota = quota;
    e->parent = parent ? parent->id : 0;
    env_set_status(e, ENV_STOPPED);
    e->cpu = -1;
    e->share = 1;
    env_alive++;
    if (!first_env)
        first_env = e->id;
    /* From here on env_teardown() undoes whatever was done. */
    if (space) {
        e->space_owner = env_space(space);
        e->space_owner->vcpus++;
        e->vm = e->space_owner->vm;
    } else {
        e->vm = &e->vm_own;
        if (!(e->info_pa = env_page_alloc(e, &r)))
            goto fail;
        e->info = P2V(e->info_pa);
        e->info->envid = e->id;
        e->info->net_cap = -1;          /* boot environments: set by the boot code */
        e->info->quota = quota;
        e->info->held = e->held;
        if ((r = vm_space_init(e->vm, e, e->info_pa)) < 0)
            goto fail;
    }
    if ((r = cap_table_init(&e->caps, e)) < 0)
        goto fail;
    if (parent) {
        if ((r = cap_create_root(&parent->caps, CAP_ENV, CR_ALL, (uint64_t)e->id, 0, ref)) < 0)
            goto fail;
        cap_lookup(&parent->caps, *ref, CAP_ENV, 0, &e->root);
    } else {
        cap_init_kernel_root(&e->kernel_root, CAP_ENV, CR_ALL, (uint64_t)e->id, 0);
        e->root = &e->kernel_root;
    }
    e->root->env.state = 1;
    capref_t self;
    if ((r = cap_derive(e->root, &e->caps, CR_SELF, &self)) < 0)
        goto fail;
    if (self != CAP_SELF)
        panic("env_create: self capability landed in %x", self);
    arch_env_state_init(&e->arch);
    arch_context_init(&e->tf, 0, 0);
    *out = e;
    return 0;
fail:
    if (parent && e->root && e->root->table == &parent->caps) {
        cap_delete(e->root);            /* releases the reservation, queues e */
        env_reap();
    } else {
        e->exit_state = -1;
        env_teardown(e);
    }
    return r;
}

int env_page_root(struct env *t, paddr_t paddr, uint64_t count, capref_t *ref)
{
    t = env_space(t);   /* a thread's objects are its space's (env_caps) */
    int r = env_charge(t, count);
    if (r < 0)
        return r;
    paddr_t pa = count == 1 ? page_give(t->id, paddr, &r) : page_give_range(t->id, count);
    if (!pa) {
        env_uncharge_env(t, count);
        return count == 1 ? r : -E_NOMEM;
    }
    r = cap_create_root(env_caps(t), CAP_PAGE, CR_READ | CR_WRITE | CR_MAP | CR_GRANT, pa / PAGE_SIZE, count, ref);
    page_ref_range(pa / PAGE_SIZE, count);
    if (r < 0) {
        page_unref_range(pa / PAGE_SIZE, count);    /* frees them */
        env_uncharge_env(t, count);
    }
    return r;
}

void *env_map_fresh_page(struct env *e, vaddr_t va, unsigned prot, int *err)
{
    paddr_t pa;
    unsigned rights;
    if (vm_lookup(e->vm, va, &pa, &rights) == 0) {
        unsigned old = ((rights & VM_WRITE) ? VM_PROT_WRITE : 0) | ((rights & VM_EXEC) ? VM_PROT_EXEC : 0);
        if ((*err = bind_protect(e, va, prot | old, false)) < 0)
            return NULL;
        return P2V(pa);
    }
    capref_t ref;
    struct cap *c;
    if ((*err = env_page_root(e, 0, 1, &ref)) < 0)
        return NULL;
    cap_lookup(env_caps(e), ref, CAP_PAGE, 0, &c);
    if ((*err = bind_map(e, va, c, 0, prot, true)) < 0) {
        cap_delete(c);
        return NULL;
    }
    return P2V(c->obj * PAGE_SIZE);
}

/* Map USER_STACK_PAGES fresh pages below USER_STACK_TOP. */
static int env_map_stack(struct env *e)
{
    int err;
    for (unsigned i = 1; i <= USER_STACK_PAGES; i++)
        if (!env_map_fresh_page(e, USER_STACK_TOP - i * PAGE_SIZE, VM_PROT_WRITE, &err))
            return err;
    return 0;
}

int env_load_elf(struct env *e, const void *image, size_t size)
{
    int r;
    uint64_t entry;
    if ((r = elf_load(e, image, size, &entry)) < 0 || (r = env_map_stack(e)) < 0) {
        env_destroy(e, -1, 0);
        env_reap();
        return r;
    }
    arch_context_init(&e->tf, entry, USER_STACK_TOP);
    env_set_status(e, ENV_RUNNABLE);
    return 0;
}

/* ------------------------------------------------------------ destruction */

void env_destroy(struct env *e, int state, int status)
{
    if (e->status == ENV_FREE || e->status == ENV_DYING)
        return;
    sched_cancel_wait(e);               /* out of whatever queue it waits in */
    ipc_env_dying(e);                   /* fail those who wait for it */
    env_set_status(e, ENV_DYING);
    e->exit_state = state;
    e->exit_status = status;
    e->reap_next = reap_head;
    reap_head = e;
    if (e->cpu >= 0 && e->cpu != (int)cpu_id())
        arch_kick_cpu((unsigned)e->cpu);    /* it notices when it enters the kernel */
    for (unsigned i = 0; e->vcpus && i < NENV; i++)
        if (envs[i].status != ENV_FREE && envs[i].space_owner == e)
            env_destroy(&envs[i], state, status);
}

/* Whether e can be torn down now: not running on another CPU, and no vCPU
 * still uses its address space. */
static bool reapable(struct env *e)
{
    return (e->cpu < 0 || e->cpu == (int)cpu_id()) && e->vcpus == 0;
}

void env_reap(void)
{
    for (struct env **pp = &reap_head; *pp;) {
        struct env *e = *pp;
        if (!reapable(e)) {
            pp = &e->reap_next;
            continue;
        }
        *pp = e->reap_next;
        env_teardown(e);
        pp = &reap_head;    /* teardown may have queued or freed others */
    }
}

bool env_reap_pending(void) { return reap_head != NULL; }

/* Free everything e holds.  Works on partly built environments too. */
static void env_teardown(struct env *e)
{
    if (e->root) {
        cap_revoke(e->root);            /* every derived capability naming e */
        e->root->env.state = e->exit_state;
        e->root->env.status = e->exit_status;
    }
    if (e->caps.dir)
        cap_table_destroy(&e->caps);    /* pages, children, bindings it authorised */
    device_io_env_gone(e);
    if (e->vm == &e->vm_own && e->vm_own.root)
        vm_space_destroy(e->vm, bind_drop_space_entry, e);
    bind_index_destroy(&e->bind_index, e);
    if (e->space_owner)
        e->space_owner->vcpus--;
    if (e->info_pa)
        env_page_free(e, e->info_pa);
    if (e->held != 0 || e->nbindings != 0)
        panic("env_teardown: env %x still charged %lu pages, %lu bindings", e->id, e->held, e->nbindings);
    env_unreserve(e);
    if (e->acct)
        e->acct->nsharers--;
    /* Its sharers are its descendants, all dying with it but perhaps torn
     * down later: they charge no account from now on. */
    for (unsigned i = 0; e->nsharers && i < NENV; i++)
        if (envs[i].status != ENV_FREE && envs[i].acct == e) {
            envs[i].acct = NULL;
            e->nsharers--;
        }
    if (e->id == first_env)
        first_status = e->exit_state == 0 ? e->exit_status : -1;
    arch_fpu_forget(e);
    if (arch_curenv() == e) {
        arch_set_curenv(NULL);
        e->cpu = -1;
    }
    env_set_status(e, ENV_FREE);
    e->id = 0;
    env_alive--;
}

void env_kill(struct env *e, const char *fmt, ...)
{
    va_list ap;
    kprintf("env %x (%s) killed: ", e->id, e->name);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    env_destroy(e, -1, 0);
}

void env_exit(struct env *e, int status)
{
    /* "quiet" on the command line: only the first environment's exit is
     * logged (an interactive session's console stays the programs'). */
    if (e->id == first_env || !cmdline_has("quiet"))
        kprintf("env %x (%s) exited with status %d\n", e->id, e->name, status);
    env_destroy(e, 0, status);
}

int env_first_status(void) { return first_status; }

/* ------------------------------------------------------------ revocation */

int env_set_quota(struct env *e, uint64_t quota)
{
    struct env *p = e->shared ? NULL : env_lookup(e->parent);    /* a shared child's is only a limit */
    if (p && quota > e->quota) {
        int r = env_charge(p, quota - e->quota);
        if (r < 0)
            return r;
    } else if (p && quota < e->quota) {
        env_uncharge_env(p, e->quota - quota);
    }
    e->quota = quota;
    if (!e->info)
        return e->held > quota ? -E_BUSY : 0;  /* vCPUs hold only their table */
    e->info->quota = quota;
    if (e->held > quota) {
        e->info->revoke_request = e->held - quota;
        e->info->revoke_deadline = REVOKE_DEADLINE;
        e->revoke_upcall_due = e->upcall[UPCALL_REVOKE].entry != 0;
    }
    return 0;
}

/* The abort protocol: take e's own pages by force, newest capabilities
 * first, recording each frame where the libOS can read it. */
static void env_repossess(struct env *e)
{
    uint64_t taken = 0;
    for (uint32_t s = e->caps.nslots; s-- > 0 && e->held > e->quota;) {
        struct cap *c = cap_slot(&e->caps, s);
        if (c->type != CAP_PAGE || c->parent)
            continue;
        for (uint64_t i = 0; i < c->count; i++) {
            struct vn_envinfo *in = e->info;
            in->repossessed[in->repossessed_total % VN_REPOSSESS_MAX] = (c->obj + i) * PAGE_SIZE;
            in->repossessed_total++;
            in->repossessed_count = MIN(in->repossessed_total, VN_REPOSSESS_MAX);
        }
        taken += c->count;
        cap_delete(c);
    }
    e->info->revoke_request = 0;
    kprintf("env %x (%s): repossessed %lu pages\n", e->id, e->name, taken);
    if (e->held > e->quota)
        env_kill(e, "still over quota (%lu > %lu pages) after repossession", e->held, e->quota);
}

void env_on_entry(struct env *e)
{
    struct vn_envinfo *in = e->info;
    if (!in)
        return;
    if (in->revoke_request && e->held <= e->quota)
        in->revoke_request = 0;     /* complied */
    else if (in->revoke_request)
        in->revoke_request = e->held - e->quota;
}

void env_on_yield(struct env *e)
{
    struct vn_envinfo *in = e->info;
    env_on_entry(e);
    if (!in || !in->revoke_request)
        return;     /* the deadline runs even while the upcall waits to be delivered */
    if (in->revoke_deadline == 0 || --in->revoke_deadline == 0)
        env_repossess(e);
}

/* ------------------------------------------------------------ upcalls */

bool env_upcall(struct env *e, unsigned kind, uint64_t trapno, uint64_t err, uint64_t addr)
{
    return env_upcall_tf(e, &e->tf, kind, trapno, err, addr);
}

bool env_upcall_tf(struct env *e, struct trapframe *tf, unsigned kind, uint64_t trapno, uint64_t err,
                   uint64_t addr)
{
    struct env_upcall *u = &e->upcall[kind];
    if (!u->entry)
        return false;
    uint64_t sp = arch_context_sp(tf);
    if (sp > u->stack_base && sp <= u->stack_top) {
        if (kind == UPCALL_REVOKE) {
            e->revoke_upcall_due = true;    /* still handling the last one: later */
            return true;
        }
        if (kind == UPCALL_SCHED)
            return true;                    /* preempted in its own scheduler: resume */
        if (!kernel_shared_held())      /* the big lock's try says it */
            kprintf("env %x (%s): fault inside its own upcall handler\n", e->id, e->name);
        return false;
    }
    struct vn_xframe x;
    arch_xframe_fill(tf, &x, trapno, err, addr);
    uint64_t frame = u->frame;
    if (copy_to_user(frame, &x, sizeof(x)) < 0) {
        if (!kernel_shared_held())
            kprintf("env %x (%s): upcall stack %lx unusable\n", e->id, e->name, u->stack_base);
        return false;
    }
    arch_context_enter_upcall(tf, u->entry, frame);
    return true;
}

/* ------------------------------------------------------------ running */

void env_return(struct env *e)
{
    if (reap_head)
        env_reap();
    if (e->status != ENV_RUNNING)
        sched_run();
    if (e->revoke_upcall_due || e->preempted)
        env_run(e);
    sched_slice_begin(e);       /* only re-arms a lost tick */
    arch_context_resume(e);
}

/* env_switch_out with the TSC already read. */
static void switch_out_at(struct env *e, uint64_t now)
{
    if (e->status == ENV_RUNNING)
        env_set_status(e, ENV_RUNNABLE);
    e->cpu = -1;
    if (e->info)
        e->info->run_tsc += now - e->run_start;
    arch_fpu_save(e);
}

void env_switch_out(struct env *e) { switch_out_at(e, arch_tsc()); }

void env_run(struct env *e)
{
    syscall_check_resume(e);
    struct env *prev = arch_curenv();
    if (prev != e) {
        uint64_t now = arch_tsc();     /* one read: prev's time ends where e's begins */
        if (prev)
            switch_out_at(prev, now);
        e->run_start = now;
    }
    env_set_status(e, ENV_RUNNING);
    e->cpu = (int)cpu_id();
    arch_set_curenv(e);
    vm_activate(e->vm);
    arch_fpu_restore(e);
    if (e->info)
        e->info->cpu = cpu_id();
    sched_slice_begin(e);
    if (e->revoke_upcall_due) {
        e->revoke_upcall_due = false;
        if (!env_upcall(e, UPCALL_REVOKE, VN_T_REVOKE, e->info ? e->info->revoke_request : 0, 0)) {
            env_kill(e, "cannot deliver the revocation upcall");
            sched_run();
        }
    }
    if (e->preempted) {
        e->preempted = false;
        if (e->upcall[UPCALL_SCHED].entry && !env_upcall(e, UPCALL_SCHED, VN_T_PREEMPT, 0, 0)) {
            env_kill(e, "cannot deliver the scheduling upcall");
            sched_run();
        }
    }
    arch_context_resume(e);
}
