/*
 * Syscall glue for IPC: endpoints and their badges, call, receive, reply,
 * and notification words.  Each handler decodes and checks its arguments
 * and capabilities, then invokes the mechanism in ipc.c.
 */
#include <veneer/errors.h>
#include "env.h"
#include "ipc.h"
#include "sys_common.h"
#include "syscall_decl.h"

long sys_ipc_endpoint(capref_t env)
{
    struct env *t;
    capref_t root;
    int r = sys_env_charged(env, &t);   /* another's entry needs control of it */
    if (r < 0 || (r = cap_create_root(env_caps(t), CAP_ENDPOINT, CR_ALL, (uint64_t)t->id, 0, &root)) < 0)
        return r;
    return sys_root_to_caller(t, root);
}

long sys_ipc_badge(capref_t ep, uint64_t badge, unsigned rights)
{
    struct env *e = arch_curenv();
    struct cap *c, *b;
    capref_t ref;
    int r = env_cap_lookup(e, ep, CAP_ENDPOINT, CR_GRANT, &c);
    if (r < 0)
        return r;
    if (badge == 0 || (rights & ~(unsigned)c->rights))
        return -E_INVAL;
    if (c->count != 0)
        return -E_PERM;     /* a badge, once set, is fixed for the whole subtree */
    if ((r = cap_derive(c, env_caps(e), rights, &ref)) < 0)
        return r;
    env_cap_lookup(e, ref, CAP_ENDPOINT, 0, &b);
    b->count = badge;
    return ref;
}

long sys_ipc_timeout(uint64_t ns)
{
    arch_curenv()->ipc_timeout_ns = ns;
    return 0;
}

long sys_ipc_call(capref_t ep, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3, capref_t xfer)
{
    struct env *e = arch_curenv(), *callee;
    struct cap *c, *x;
    int r = env_cap_lookup(e, ep, CAP_ENDPOINT, CR_WRITE, &c);
    if (r < 0)
        return r;
    if (!(callee = ipc_endpoint_env(c)))
        return -E_DEAD;
    if (callee == e || env_space(callee) == env_space(e))
        return -E_DEADLK;
    if (xfer != -1 && (r = env_cap_lookup(e, xfer, 0, CR_GRANT, &x)) < 0)
        return r;
    uint64_t m[4] = {m0, m1, m2, m3};
    ipc_call(e, callee, m, xfer, c->count);
}

long sys_ipc_recv(uint64_t timeout_ns)
{
    struct env *e = arch_curenv();
    if (ipc_serving(e))
        return -E_BUSY;         /* reply to the current caller first */
    return ipc_recv(e, timeout_ns);
}

long sys_ipc_reply(uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{
    long err = 0;
    uint64_t m[4] = {m0, m1, m2, m3};
    return ipc_reply(arch_curenv(), m, &err) ? 0 : err;
}

long sys_ipc_reply_recv(uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{
    uint64_t m[4] = {m0, m1, m2, m3};
    return ipc_reply_recv(arch_curenv(), m);
}

/* ------------------------------------------------------------ notifications */

long sys_notify_create(void)
{
    capref_t ref;
    int r = notify_create(arch_curenv(), &ref);
    return r < 0 ? r : ref;
}

long sys_notify_signal(capref_t nc, uint64_t bits)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), nc, CAP_NOTIFY, CR_WRITE, &c);
    if (r < 0)
        return r;
    if (bits & ~VN_NOTIFY_BITS)
        return -E_INVAL;
    notify_signal((struct notify *)c->obj, bits);
    return 0;
}

long sys_notify_wait(capref_t nc, uint64_t timeout_ns)
{
    struct env *e = arch_curenv();
    struct cap *c;
    int r = env_cap_lookup(e, nc, CAP_NOTIFY, CR_READ, &c);
    if (r < 0)
        return r;
    return notify_wait(e, (struct notify *)c->obj, timeout_ns);
}

long sys_notify_poll(capref_t nc)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), nc, CAP_NOTIFY, CR_READ, &c);
    if (r < 0)
        return r;
    return notify_take((struct notify *)c->obj);
}
