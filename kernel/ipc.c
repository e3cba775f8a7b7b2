/*
 * Protected control transfer and notifications: the mechanism.  The
 * syscall glue that decodes capabilities and arguments is sys_ipc.c.
 *
 * A callee waits in ipc_recv (WAIT_IPC_RECV).  ipc_call to it puts the four
 * message words, an optional transferred capability and the endpoint's
 * badge straight into the callee's saved registers and switches to it on
 * the caller's CPU, handing over the rest of the time slice; the caller
 * waits for the reply (WAIT_IPC_REPLY).  If the callee is busy the caller
 * queues behind it (WAIT_IPC_QUEUED, on the callee's ipc_queue).  A caller
 * waits at most its ipc_timeout; a callee that dies fails its caller and
 * everyone queued with -E_DEAD, never a hang.
 *
 *   callee                     caller
 *   WAIT_IPC_RECV  <-- call -- RUNNING        (fast path: switch to callee)
 *   RUNNING (serving) ........ WAIT_IPC_REPLY  (callee may call others meanwhile)
 *   RUNNING        -- reply -> RUNNABLE
 *   busy           <-- call -- WAIT_IPC_QUEUED (on callee->ipc_queue)
 *
 * Every link a wait makes (a queue entry, a notification's waiter) is
 * undone by ipc_wait_leave, which sched_unblock and sched_cancel_wait call
 * whatever ends the wait (reply, timeout, death of either side, wake), so
 * no entry outlives its environment's wait.
 * Notification words are ORed by signallers and taken whole by one waiter.
 */
#include <veneer/errors.h>
#include "ipc.h"
#include "blk.h"
#include "net.h"
#include "irq.h"
#include "klib.h"
#include "panic.h"
#include "sched.h"
#include "slab.h"

#define NOTIFY_PER_CHARGE 128

static struct slab notify_slab = SLAB_INIT("notify", struct notify);

struct env *ipc_endpoint_env(struct cap *c)
{
    struct cap *root = c;
    while (root->parent)
        root = root->parent;
    struct env *e = env_lookup((envid_t)c->obj);
    return e && e->status != ENV_DYING && root->table == env_caps(e) ? e : NULL;
}

/* Put caller's message into callee's registers and derive the transferred
 * capability into callee's table; callee now serves caller. */
static void deliver(struct env *callee, struct env *caller, const uint64_t m[4], capref_t xfer, uint64_t badge)
{
    capref_t got = -1;
    struct cap *c;
    if (xfer >= 0 && env_cap_lookup(caller, xfer, 0, CR_GRANT, &c) == 0)
        cap_derive(c, env_caps(callee), c->rights, &got);
    arch_ipc_set_msg(&callee->tf, 0, m, (uint64_t)(int64_t)got, badge);
    callee->ipc_caller = caller;
    callee->ipc_caller_id = caller->id;
}

void ipc_call(struct env *e, struct env *callee, const uint64_t m[4], capref_t xfer, uint64_t badge)
{
    uint64_t until = sched_deadline(e->ipc_timeout_ns);
    if (callee->status == ENV_SLEEPING && callee->wait == WAIT_IPC_RECV) {
        /* Fast path: straight into the waiting callee, on our slice. */
        deliver(callee, e, m, xfer, badge);
        e->ipc_callee = callee;
        sched_handoff(e, WAIT_IPC_REPLY, until, callee, 0);
    }
    /* The callee is busy: queue behind it. */
    memcpy(e->ipc_msg, m, sizeof(e->ipc_msg));
    e->ipc_xfer = xfer;
    e->ipc_badge = badge;
    e->ipc_callee = callee;
    e->ipc_next = NULL;
    struct env **pp = &callee->ipc_queue;
    while (*pp)
        pp = &(*pp)->ipc_next;
    *pp = e;
    sched_block(e, WAIT_IPC_QUEUED, until, -E_TIMEOUT);
    sched_run();
}

/* Take the first queued caller, if any, as the one e now serves: it goes
 * on waiting, now for the reply. */
static bool take_queued(struct env *e)
{
    struct env *q = e->ipc_queue;
    if (!q)
        return false;
    if (q->status != ENV_SLEEPING || q->wait != WAIT_IPC_QUEUED || q->ipc_callee != e)
        panic("take_queued: env %x on the queue of %x is not queued there", q->id, e->id);
    e->ipc_queue = q->ipc_next;
    q->ipc_next = NULL;
    q->wait = WAIT_IPC_REPLY;
    deliver(e, q, q->ipc_msg, q->ipc_xfer, q->ipc_badge);
    return true;
}

bool ipc_serving(struct env *e) { return e->ipc_caller != NULL; }

/* The shared tier's switch from e to `to` (waiting for e, nothing due
 * for it, in another space), with message m: both spaces' locks held,
 * the second only if free now.  They are released only on the way back
 * to user mode (kernel_unlock_shared), after env_run has switched e out
 * (its FPU state saved, off this CPU), so no other CPU can take e up
 * before that; and `to`'s space is loaded under its lock, so a shared
 * page_unmap there sees this CPU caching it (vm_cached_elsewhere).
 * Returns if the lock is busy or `to` is not ready. */
static void shared_switch(struct env *e, enum env_wait why, struct env *to, const uint64_t m[4], uint64_t badge)
{
    struct spinlock *l = &env_space(to)->space_lock;
    if (!spin_trylock(l))
        return;
    bool call = why == WAIT_IPC_REPLY;
    if (to->status == ENV_SLEEPING && !to->wake_tsc && !to->revoke_upcall_due && !to->preempted &&
        !(to->info && to->info->revoke_request) && arch_context_rip_ok(&to->tf) &&
        (call ? to->wait == WAIT_IPC_RECV && !to->ipc_queue : to->wait == WAIT_IPC_REPLY && to->ipc_callee == e)) {
        if (call) {
            deliver(to, e, m, -1, badge);
            e->ipc_callee = to;
        } else {
            arch_ipc_set_msg(&to->tf, 0, m, (uint64_t)-1, 0);
            e->ipc_caller = NULL;
        }
        sched_handoff_states(e, why, 0, to, 0);
        vm_activate(to->vm);
        kernel_shared_release_later(l, &env_space(e)->space_lock);
        env_run(to);
    }
    spin_unlock(l);
}

void ipc_call_shared(struct env *e, capref_t ep, const uint64_t m[4])
{
    struct spinlock *l = &env_space(e)->space_lock;
    struct cap *c;
    struct env *callee;
    spin_lock(l);
    if (!e->ipc_timeout_ns && env_cap_lookup(e, ep, CAP_ENDPOINT, CR_WRITE, &c) == 0 &&
        (callee = ipc_endpoint_env(c)) && env_space(callee) != env_space(e))
        shared_switch(e, WAIT_IPC_REPLY, callee, m, c->count);
    spin_unlock(l);
}

void ipc_reply_recv_shared(struct env *e, const uint64_t m[4])
{
    struct spinlock *l = &env_space(e)->space_lock;
    spin_lock(l);
    struct env *p = e->ipc_caller;
    if (p && p->id == e->ipc_caller_id && !e->ipc_queue && env_space(p) != env_space(e))
        shared_switch(e, WAIT_IPC_RECV, p, m, 0);
    spin_unlock(l);
}

long ipc_recv(struct env *e, uint64_t timeout_ns)
{
    if (take_queued(e))
        return 0;
    sched_block(e, WAIT_IPC_RECV, sched_deadline(timeout_ns), -E_TIMEOUT);
    sched_run();
}

/* e's caller, if it still waits for e's reply (else it died or gave up:
 * -E_DEAD, or there is none: -E_NOENT); its message is now m. */
static struct env *reply_to(struct env *e, const uint64_t m[4], long *err)
{
    struct env *p = e->ipc_caller;
    if (!p) {
        *err = -E_NOENT;
        return NULL;
    }
    e->ipc_caller = NULL;
    if (p->id != e->ipc_caller_id || p->status != ENV_SLEEPING || p->wait != WAIT_IPC_REPLY ||
        p->ipc_callee != e) {
        *err = -E_DEAD;
        return NULL;
    }
    arch_ipc_set_msg(&p->tf, 0, m, (uint64_t)-1, 0);
    return p;
}

struct env *ipc_reply(struct env *e, const uint64_t m[4], long *err)
{
    struct env *p = reply_to(e, m, err);
    if (p)
        sched_unblock(p, 0);
    return p;
}

long ipc_reply_recv(struct env *e, const uint64_t m[4])
{
    long err = 0;
    struct env *p = reply_to(e, m, &err);
    if (!p && err == -E_NOENT)
        return err;
    if (p && !e->ipc_queue)     /* fast path back: switch straight to the caller we answered */
        sched_handoff(e, WAIT_IPC_RECV, 0, p, 0);
    if (p)
        sched_unblock(p, 0);
    if (take_queued(e))
        return 0;               /* the next caller was already waiting */
    sched_block(e, WAIT_IPC_RECV, 0, -E_TIMEOUT);
    if (!p)
        sched_run();
    sched_slice_donate(p);
    env_run(p);
}

void ipc_wait_leave(struct env *e)
{
    switch (e->wait) {
    case WAIT_IPC_QUEUED:               /* on its callee's queue until taken (take_queued) */
        SLIST_UNLINK(&e->ipc_callee->ipc_queue, e, ipc_next);
        e->ipc_next = NULL;
        e->ipc_callee = NULL;
        break;
    case WAIT_IPC_REPLY:
        e->ipc_callee = NULL;   /* the callee's reply finds it gone: -E_DEAD */
        break;
    case WAIT_NOTIFY:
        e->notify_wait->waiter = NULL;
        e->notify_wait = NULL;
        break;
    default:
        break;
    }
}

void ipc_env_dying(struct env *e)
{
    /* Whoever waits for e's reply, or is queued behind it, fails now. */
    for (struct env *q; (q = e->ipc_queue);) {
        if (q->status != ENV_SLEEPING || q->wait != WAIT_IPC_QUEUED || q->ipc_callee != e)
            panic("ipc_env_dying: env %x on the queue of %x is not queued there", q->id, e->id);
        sched_unblock(q, -E_DEAD);                  /* unlinks it */
    }
    struct env *p = e->ipc_caller;
    if (p && p->id == e->ipc_caller_id && p->status == ENV_SLEEPING && p->wait == WAIT_IPC_REPLY &&
        p->ipc_callee == e)
        sched_unblock(p, -E_DEAD);
    e->ipc_caller = NULL;
}

/* ------------------------------------------------------------ notifications */

int notify_create(struct env *e, capref_t *ref)
{
    e = env_space(e);   /* a thread's objects are its space's (env_caps) */
    int r;
    if (e->nnotify % NOTIFY_PER_CHARGE == 0 && (r = env_charge(e, 1)) < 0)
        return r;
    struct notify *n = slab_alloc(&notify_slab);
    if (!n || (r = cap_create_root(env_caps(e), CAP_NOTIFY, CR_ALL, (uint64_t)n, 0, ref)) < 0) {
        if (n)
            slab_free(n);
        if (e->nnotify % NOTIFY_PER_CHARGE == 0)
            env_uncharge_env(e, 1);
        return n ? r : -E_NOMEM;
    }
    *n = (struct notify){.owner = e};
    e->nnotify++;
    return 0;
}

void notify_release(struct cap *c)
{
    struct notify *n = (struct notify *)c->obj;
    irq_notify_gone(n);
    net_notify_gone(n);
    blk_notify_gone(n);
    if (n->waiter)
        sched_unblock(n->waiter, -E_DEAD);         /* clears n->waiter */
    struct env *o = n->owner;
    slab_free(n);
    if (--o->nnotify % NOTIFY_PER_CHARGE == 0)
        env_uncharge_env(o, 1);
}

void notify_signal(struct notify *n, uint64_t bits)
{
    n->bits |= bits;
    if (n->waiter && n->bits) {
        uint64_t b = n->bits;
        n->bits = 0;
        sched_unblock(n->waiter, (long)b);          /* clears n->waiter */
    }
}

long notify_take(struct notify *n)
{
    uint64_t b = n->bits;
    n->bits = 0;
    return (long)b;
}

long notify_wait(struct env *e, struct notify *n, uint64_t timeout_ns)
{
    if (n->bits)
        return notify_take(n);
    if (n->waiter)
        return -E_BUSY;
    n->waiter = e;
    e->notify_wait = n;
    sched_block(e, WAIT_NOTIFY, sched_deadline(timeout_ns), -E_TIMEOUT);
    sched_run();
}
