/*
 * Syscall glue for CPU multiplexing: vCPUs, directed yield, shares,
 * slice warnings, sleeping and waking.
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "sched.h"
#include "sys_common.h"
#include "syscall_decl.h"
#include "user_copy.h"

long sys_env_create_vcpu(uint64_t quota, const char *name) { return sys_env_new(quota, name, true); }

long sys_yield_to(capref_t env)
{
    struct env *e = arch_curenv(), *t;
    int r = sys_env_target(env, CR_RUN, &t);
    if (r < 0)
        return r;
    env_on_yield(e);
    if (e->status == ENV_DYING)
        sched_run();            /* repossession failed: it was killed */
    if (t == e || t->status != ENV_RUNNABLE) {
        arch_context_set_return(&e->tf, -E_AGAIN);
        sched_run();
    }
    sched_slice_donate(t);
    env_run(t);
}

long sys_env_set_share(capref_t env, unsigned share)
{
    struct env *t;
    int r = sys_env_target(env, CR_CONTROL, &t);
    if (r < 0)
        return r;
    if (share == 0 || share > VN_SHARE_MAX)
        return -E_INVAL;
    t->share = share;
    return 0;
}

long sys_sched_warn(uint64_t ns)
{
    if (ns > SLICE_NS * VN_SHARE_MAX)
        return -E_INVAL;
    arch_curenv()->warn_ns = ns;
    return 0;
}

long sys_env_wait(uint64_t timeout_ns, const uint64_t *word, uint64_t value, unsigned op)
{
    struct env *e = arch_curenv();
    uint64_t va = (uint64_t)word;
    if (op > VN_WAIT_NE || timeout_ns > (1ul << 50))
        return -E_INVAL;
    paddr_t pa = 0;
    if (op != VN_WAIT_NONE) {
        uint64_t v;
        if (va % 8)
            return -E_INVAL;
        if (copy_from_user(&v, va, sizeof(v)) < 0 || vm_lookup(e->vm, va & ~(PAGE_SIZE - 1), &pa, NULL) < 0)
            return -E_FAULT;
        if ((op == VN_WAIT_EQ) == (v == value))
            return VN_WAKE_PREDICATE;
    }
    env_on_yield(e);
    if (e->status != ENV_RUNNING)
        sched_run();            /* repossession failed: it was killed */
    e->wait_op = op;            /* before sched_block, which notes a predicate sleeper */
    e->wait_va = va;
    e->wait_value = value;
    e->wait_pa = pa + va % PAGE_SIZE;   /* its bucket for env_wake_word */
    sched_block(e, WAIT_SLEEP, sched_deadline(timeout_ns), VN_WAKE_TIMEOUT);
    sched_run();
}

long sys_env_wake(capref_t env)
{
    struct env *t;
    int r = sys_env_target(env, CR_WAKE, &t);
    if (r < 0)
        return r;
    /* Only an env_wait sleep: IPC and notification waits end by their
     * own events, which alone know how to take the sleeper out. */
    if (t->status != ENV_SLEEPING || t->wait != WAIT_SLEEP)
        return 0;
    sched_unblock(t, VN_WAKE_NOTIFY);
    return 1;
}

long sys_env_wake_word(const uint64_t *word)
{
    uint64_t va = (uint64_t)word;
    paddr_t pa;
    /* Only a word the caller can reach: it names the sleepers by memory
     * they share with it, so no capability to them is needed. */
    if (va % 8)
        return -E_INVAL;
    if (!user_range_ok(va, 8) || vm_lookup(env_space(arch_curenv())->vm, va & ~(PAGE_SIZE - 1), &pa, NULL) < 0)
        return -E_FAULT;
    return sched_wake_word(pa + va % PAGE_SIZE);
}
