/*
 * Syscall glue for the console and environments.  Each sys_* decodes and
 * checks its arguments, then invokes the mechanism in env.c.
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "console.h"
#include "klib.h"
#include "sched.h"
#include "sys_common.h"
#include "syscall_decl.h"
#include "user_copy.h"

long sys_null(void) { return 0; }

long sys_cons_write(const char *buf, size_t len)
{
    char chunk[256];
    if (!user_range_ok((uint64_t)buf, len))
        return -E_FAULT;
    len = MIN(len, VN_CONS_WRITE_MAX);     /* bounded work: a short write */
    for (size_t done = 0; done < len;) {
        size_t n = MIN(len - done, sizeof(chunk));
        if (copy_from_user(chunk, (uint64_t)buf + done, n) < 0)
            return done ? (long)done : -E_FAULT;
        console_write(chunk, n);
        done += n;
    }
    return (long)len;
}

long sys_cons_read(char *buf, size_t len)
{
    char chunk[64];
    size_t n = 0;
    if (!user_range_ok((uint64_t)buf, len))
        return -E_FAULT;
    len = MIN(len, sizeof(chunk));
    /* Decode first: the destination must be mapped writable, so that no
     * received byte is taken from the UART and then lost. */
    for (uint64_t va = (uint64_t)buf & ~(PAGE_SIZE - 1); len && va < (uint64_t)buf + len; va += PAGE_SIZE) {
        paddr_t pa;
        unsigned rights;
        if (vm_lookup(env_space(arch_curenv())->vm, va, &pa, &rights) < 0 || !(rights & VM_WRITE))
            return -E_FAULT;
    }
    for (int c; n < MIN(len, sizeof(chunk)) && (c = arch_console_getc()) >= 0;)
        chunk[n++] = (char)c;
    if (n && copy_to_user((uint64_t)buf, chunk, n) < 0)
        return -E_FAULT;
    return (long)n;
}

long sys_env_exit(int status)
{
    env_exit(arch_curenv(), status);
    return 0;
}

long sys_yield(void)
{
    env_on_yield(arch_curenv());
    sched_run();
}

long sys_env_new(uint64_t quota, const char *name, bool vcpu)
{
    char kname[ENV_NAME_MAX];
    struct env *e = arch_curenv(), *child;
    capref_t ref;
    if (copy_str_from_user(kname, (uint64_t)name, sizeof(kname)) < 0)
        return -E_FAULT;
    e = env_space(e);   /* a thread's children are its space's (env_caps) */
    int r = env_create(e, vcpu ? e : NULL, quota, kname, &child, &ref);
    return r < 0 ? r : ref;
}

long sys_env_create(uint64_t quota, const char *name) { return sys_env_new(quota, name, false); }

long sys_env_create_shared(uint64_t limit, const char *name)
{
    char kname[ENV_NAME_MAX];
    struct env *child;
    capref_t ref;
    if (copy_str_from_user(kname, (uint64_t)name, sizeof(kname)) < 0)
        return -E_FAULT;
    int r = env_create_shared(env_space(arch_curenv()), limit, kname, &child, &ref);
    return r < 0 ? r : ref;
}

long sys_env_set_regs(capref_t env, const struct vn_regs *regs)
{
    struct env *t;
    struct vn_regs r;
    int err = sys_env_target(env, CR_CONTROL, &t);
    if (err < 0 || (err = copy_from_user(&r, (uint64_t)regs, sizeof(r))) < 0)
        return err;
    if (t->status != ENV_STOPPED)
        return -E_BUSY;
    arch_context_set_regs(&t->tf, &r);
    return 0;
}

long sys_env_start(capref_t env)
{
    struct env *t;
    int r = sys_env_target(env, CR_CONTROL, &t);
    if (r < 0)
        return r;
    if (t->status != ENV_STOPPED)
        return -E_BUSY;
    env_set_status(t, ENV_RUNNABLE);
    sched_kick();
    return 0;
}

long sys_env_destroy(capref_t env)
{
    struct env *t;
    int r = sys_env_target(env, CR_CONTROL, &t);
    if (r < 0)
        return r;
    kprintf("env %x (%s) destroyed by env %x\n", t->id, t->name, arch_curenv()->id);
    env_destroy(t, -1, 0);
    return 0;
}

long sys_env_set_upcall(capref_t env, unsigned kind, uint64_t entry, uint64_t stack, uint64_t size)
{
    struct env *t;
    int r = sys_env_target(env, CR_UPCALL, &t);
    if (r < 0)
        return r;
    if (kind >= UPCALL_COUNT || (entry && (!user_range_ok(entry, 1) || !user_range_ok(stack, size) ||
                                           size < sizeof(struct vn_xframe) + 16)))
        return -E_INVAL;
    if (!entry)
        stack = size = 0;
    uint64_t frame = entry ? ROUND_DOWN(stack + size - sizeof(struct vn_xframe), 16) : 0;
    t->upcall[kind] = (struct env_upcall){entry, stack, stack + size, frame};
    return 0;
}

long sys_env_set_quota(capref_t env, uint64_t quota)
{
    struct env *t;
    int r = sys_env_target(env, CR_CONTROL, &t);
    if (r < 0)
        return r;
    return env_set_quota(t, quota);
}
