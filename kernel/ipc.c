/*
 * Protected control transfer and notifications.
 *
 * A callee waits in ipc_recv.  ipc_call to it (through an endpoint
 * capability with CR_WRITE) puts the four message words and an optional
 * transferred capability straight into the callee's saved registers and
 * switches to it on the caller's CPU, handing over the rest of the time
 * slice: the fast path touches the two environments and nothing else.  If
 * the callee is busy the caller queues behind it.  The reply goes straight
 * back the same way (ipc_reply_recv).  A caller waits at most its
 * ipc_timeout; a callee that dies fails its caller and everyone queued
 * with -E_DEAD, never a hang.
 * Notification words are ORed by signallers and taken whole by one waiter.
 */
#include <veneer/errors.h>
#include "console.h"
#include "env.h"
#include "ipc.h"
#include "klib.h"
#include "sched.h"
#include "slab.h"
#include "syscall_decl.h"

#define NOTIFY_PER_CHARGE 128

static struct slab notify_slab = SLAB_INIT("notify", struct notify);

static uint64_t deadline(uint64_t ns)
{
    return ns ? arch_tsc() + ns / 1000 * (arch_tsc_hz() / 1000000) + 1 : 0;
}

/* Sleep e (current) until woken; rv is what its syscall returns if nothing
 * else sets it (a timeout). */
static void block(struct env *e, uint64_t timeout_ns, long rv)
{
    e->wait_op = VN_WAIT_NONE;
    e->wake_tsc = deadline(timeout_ns);
    arch_context_set_return(&e->tf, rv);
    sched_sleep(e);
}

/* Live environment behind an endpoint capability. */
static struct env *endpoint_env(struct cap *c)
{
    struct cap *root = c;
    while (root->parent)
        root = root->parent;
    struct env *e = env_lookup((envid_t)c->obj);
    return e && e->status != ENV_DYING && root->table == &e->caps ? e : NULL;
}

/* Put caller's message into callee's registers; derive the transferred
 * capability into callee's table. */
static void deliver(struct env *callee, struct env *caller, const uint64_t m[4], capref_t xfer)
{
    capref_t got = -1;
    struct cap *c;
    if (xfer >= 0 && cap_lookup(&caller->caps, xfer, 0, CR_GRANT, &c) == 0 &&
        cap_derive(c, &callee->caps, c->rights, &got) == 0)
        env_cap_refs(&callee->caps, got);
    arch_ipc_set_msg(&callee->tf, 0, m, (uint64_t)(int64_t)got);
    callee->ipc_state = IPC_NONE;
    callee->ipc_partner = caller;
    callee->ipc_partner_id = caller->id;
    caller->ipc_state = IPC_CALL;
    caller->ipc_partner = callee;
    caller->ipc_partner_id = callee->id;
}

int sys_env_target(capref_t ref, unsigned rights, struct env **out);

long sys_ipc_endpoint(capref_t env)
{
    struct env *e = arch_curenv(), *t;
    capref_t root, ref;
    struct cap *c;
    int r = sys_env_target(env, CR_WRITE, &t);
    if (r < 0)
        return r;
    if (t != e && (cap_lookup(&e->caps, env, CAP_ENV, CR_CONTROL, &c) < 0))
        return -E_PERM;     /* making another's entry needs control of it */
    if ((r = cap_create_root(&t->caps, CAP_ENDPOINT, CR_ALL, (uint64_t)t->id, 0, &root)) < 0)
        return r;
    if (t == e)
        return root;
    cap_lookup(&t->caps, root, CAP_ENDPOINT, 0, &c);
    if ((r = cap_derive(c, &e->caps, CR_ALL, &ref)) < 0) {
        cap_delete(c);
        return r;
    }
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
    int r = cap_lookup(&e->caps, ep, CAP_ENDPOINT, CR_WRITE, &c);
    if (r < 0)
        return r;
    if (!(callee = endpoint_env(c)))
        return -E_DEAD;
    if (callee == e || env_space(callee) == env_space(e))
        return -E_DEADLK;
    if (xfer != -1 && (r = cap_lookup(&e->caps, xfer, 0, CR_GRANT, &x)) < 0)
        return r;
    uint64_t m[4] = {m0, m1, m2, m3};
    block(e, e->ipc_timeout_ns, -E_TIMEOUT);
    if (callee->ipc_state == IPC_RECV && callee->status == ENV_SLEEPING) {
        /* Fast path: straight into the waiting callee, on our slice. */
        deliver(callee, e, m, xfer);
        sched_wake(callee, 0);
        sched_slice_donate(callee);
        env_run(callee);
    }
    /* The callee is busy: queue behind it. */
    memcpy(e->ipc_msg, m, sizeof(m));
    e->ipc_xfer = xfer;
    e->ipc_state = IPC_CALL;
    e->ipc_partner = callee;
    e->ipc_partner_id = callee->id;
    e->ipc_next = NULL;
    struct env **pp = &callee->ipc_queue;
    while (*pp)
        pp = &(*pp)->ipc_next;
    *pp = e;
    sched_run();
}

/* Take the first queued caller, if any, as the one e now serves. */
static bool take_queued(struct env *e)
{
    struct env *q = e->ipc_queue;
    if (!q)
        return false;
    e->ipc_queue = q->ipc_next;
    q->ipc_next = NULL;
    deliver(e, q, q->ipc_msg, q->ipc_xfer);
    return true;
}

long sys_ipc_recv(uint64_t timeout_ns)
{
    struct env *e = arch_curenv();
    if (e->ipc_partner && e->ipc_state == IPC_NONE)
        return -E_BUSY;         /* reply to the current caller first */
    if (take_queued(e))
        return 0;
    e->ipc_state = IPC_RECV;
    block(e, timeout_ns, -E_TIMEOUT);
    sched_run();
}

/* Hand the reply words to e's caller and make it runnable.  Returns the
 * caller, or NULL with *err set. */
static struct env *reply(struct env *e, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3, long *err)
{
    struct env *p = e->ipc_partner;
    if (!p || e->ipc_state != IPC_NONE) {
        *err = -E_NOENT;
        return NULL;
    }
    e->ipc_partner = NULL;
    if (p->id != e->ipc_partner_id || p->ipc_state != IPC_CALL || p->ipc_partner != e ||
        p->status != ENV_SLEEPING) {
        *err = -E_DEAD;         /* it died or gave up waiting */
        return NULL;
    }
    uint64_t m[4] = {m0, m1, m2, m3};
    arch_ipc_set_msg(&p->tf, 0, m, (uint64_t)-1);
    p->ipc_state = IPC_NONE;
    p->ipc_partner = NULL;
    sched_wake(p, 0);
    return p;
}

long sys_ipc_reply(uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{
    long err = 0;
    return reply(arch_curenv(), m0, m1, m2, m3, &err) ? 0 : err;
}

long sys_ipc_reply_recv(uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{
    struct env *e = arch_curenv();
    long err = 0;
    struct env *p = reply(e, m0, m1, m2, m3, &err);
    if (!p && err == -E_NOENT)
        return err;
    if (take_queued(e))
        return 0;               /* the next caller was already waiting */
    e->ipc_state = IPC_RECV;
    block(e, 0, -E_TIMEOUT);
    if (!p)
        sched_run();
    /* Fast path back: switch straight to the caller we answered. */
    sched_slice_donate(p);
    env_run(p);
}

void ipc_env_dying(struct env *e)
{
    /* Whoever waits for e's reply, or is queued behind it, fails now. */
    for (struct env *q = e->ipc_queue, *n; q; q = n) {
        n = q->ipc_next;
        q->ipc_next = NULL;
        q->ipc_state = IPC_NONE;
        q->ipc_partner = NULL;
        if (q->status == ENV_SLEEPING)
            sched_wake(q, -E_DEAD);
    }
    e->ipc_queue = NULL;
    struct env *p = e->ipc_partner;
    if (p && p->id == e->ipc_partner_id && p->ipc_state == IPC_CALL && p->ipc_partner == e) {
        if (p->status == ENV_SLEEPING) {
            p->ipc_state = IPC_NONE;
            p->ipc_partner = NULL;
            sched_wake(p, -E_DEAD);
        }
        if (e->ipc_state == IPC_CALL) {     /* e was queued behind p: unlink */
            for (struct env **pp = &p->ipc_queue; *pp; pp = &(*pp)->ipc_next)
                if (*pp == e) {
                    *pp = e->ipc_next;
                    break;
                }
        }
    }
    e->ipc_partner = NULL;
    e->ipc_state = IPC_NONE;
    if (e->notify_wait) {
        e->notify_wait->waiter = NULL;
        e->notify_wait = NULL;
    }
}

long ipc_timed_out(struct env *e)
{
    if (e->notify_wait) {
        e->notify_wait->waiter = NULL;
        e->notify_wait = NULL;
        return -E_TIMEOUT;
    }
    if (e->ipc_state == IPC_NONE)
        return VN_WAKE_TIMEOUT;
    struct env *p = e->ipc_partner;
    if (e->ipc_state == IPC_CALL && p && p->id == e->ipc_partner_id)
        for (struct env **pp = &p->ipc_queue; *pp; pp = &(*pp)->ipc_next)
            if (*pp == e) {
                *pp = e->ipc_next;
                break;
            }
    e->ipc_state = IPC_NONE;
    e->ipc_partner = NULL;
    e->ipc_next = NULL;
    return -E_TIMEOUT;
}

/* ------------------------------------------------------------ notifications */

long sys_notify_create(void)
{
    struct env *e = arch_curenv();
    int r;
    if (e->nnotify % NOTIFY_PER_CHARGE == 0 && (r = env_charge(e, 1)) < 0)
        return r;
    struct notify *n = slab_alloc(&notify_slab);
    capref_t ref;
    if (!n || (r = cap_create_root(&e->caps, CAP_NOTIFY, CR_ALL, (uint64_t)n, 0, &ref)) < 0) {
        if (n)
            slab_free(&notify_slab, n);
        if (e->nnotify % NOTIFY_PER_CHARGE == 0)
            env_uncharge_env(e, 1);
        return n ? r : -E_NOMEM;
    }
    n->owner = e;
    e->nnotify++;
    return ref;
}

void notify_release(struct cap *c)
{
    struct notify *n = (struct notify *)c->obj;
    if (n->waiter) {
        n->waiter->notify_wait = NULL;
        sched_wake(n->waiter, -E_DEAD);
    }
    struct env *o = n->owner;
    slab_free(&notify_slab, n);
    if (--o->nnotify % NOTIFY_PER_CHARGE == 0)
        env_uncharge_env(o, 1);
}

long sys_notify_signal(capref_t nc, uint64_t bits)
{
    struct cap *c;
    int r = cap_lookup(&arch_curenv()->caps, nc, CAP_NOTIFY, CR_WRITE, &c);
    if (r < 0)
        return r;
    struct notify *n = (struct notify *)c->obj;
    n->bits |= bits;
    if (n->waiter && n->bits) {
        struct env *w = n->waiter;
        n->waiter = NULL;
        w->notify_wait = NULL;
        sched_wake(w, (long)n->bits);
        n->bits = 0;
    }
    return 0;
}

long sys_notify_wait(capref_t nc, uint64_t timeout_ns)
{
    struct env *e = arch_curenv();
    struct cap *c;
    int r = cap_lookup(&e->caps, nc, CAP_NOTIFY, CR_READ, &c);
    if (r < 0)
        return r;
    struct notify *n = (struct notify *)c->obj;
    if (n->bits) {
        uint64_t b = n->bits;
        n->bits = 0;
        return (long)(b & 0x7fffffffffffffff);
    }
    if (n->waiter)
        return -E_BUSY;
    n->waiter = e;
    e->notify_wait = n;
    block(e, timeout_ns, -E_TIMEOUT);
    sched_run();
}

long sys_notify_poll(capref_t nc)
{
    struct cap *c;
    int r = cap_lookup(&arch_curenv()->caps, nc, CAP_NOTIFY, CR_READ, &c);
    if (r < 0)
        return r;
    struct notify *n = (struct notify *)c->obj;
    uint64_t b = n->bits;
    n->bits = 0;
    return (long)(b & 0x7fffffffffffffff);
}
