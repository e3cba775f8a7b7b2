/*
 * Inter-environment communication: protected control transfer (a call
 * runs the callee on the caller's time slice and returns its reply) and
 * notification words.  Shared memory needs nothing here: it is page
 * capabilities granted and mapped (see docs/ipc.md).  The syscall glue is
 * sys_ipc.c; all of this runs under the kernel lock.
 */
#ifndef KERNEL_IPC_H
#define KERNEL_IPC_H

#include <veneer/env.h>
#include "cap.h"

struct env;
struct irq;

/* A notification word (CAP_NOTIFY's object). */
struct notify {
    uint64_t bits;              /* pending, never bit 63 (VN_NOTIFY_BITS) */
    struct env *waiter;         /* in WAIT_NOTIFY on this word, or NULL */
    struct env *owner;          /* charged for it */
    struct irq *irqs;           /* device interrupts bound to it (irq.c's list) */
    struct net_filter *nets;    /* packet filters signalling it (net.c's list) */
    struct blk_queue *blkqs;    /* block request queues signalling it (blk.c's list) */
};

/* The live environment behind endpoint capability c, or NULL. */
struct env *ipc_endpoint_env(struct cap *c);
/* e calls callee with message m, capability xfer (checked by the caller,
 * or -1) and the endpoint's badge; never returns (e resumes with the
 * reply, -E_TIMEOUT or -E_DEAD). */
void ipc_call(struct env *e, struct env *callee, const uint64_t m[4], capref_t xfer, uint64_t badge)
    __attribute__((noreturn));
/* Whether e is serving a call it has not answered. */
bool ipc_serving(struct env *e);
/* e waits for a call: returns 0 at once if one is queued (the message is
 * in e's registers), else blocks (never returns). */
long ipc_recv(struct env *e, uint64_t timeout_ns);
/* Hand reply m to e's caller and make it runnable; returns it, or NULL
 * with *err = -E_NOENT (no caller) or -E_DEAD (it died or gave up). */
struct env *ipc_reply(struct env *e, const uint64_t m[4], long *err);
/* Reply, then wait for the next call, switching straight to the caller.
 * Returns -E_NOENT (no caller) or 0 (a queued call taken); otherwise
 * never returns. */
long ipc_reply_recv(struct env *e, const uint64_t m[4]);
/* The shared tier (klock.h) of ipc_call and ipc_reply_recv: the switch
 * straight to the other party on this CPU, made under both spaces' locks,
 * when it is waiting with no timeout and nothing is due for it, the call
 * has no timeout and transfers no capability, and the callee has no
 * queue.  Return (nothing changed) when the call must take the big lock:
 * a bad capability, a busy or dying party, a lock another CPU holds. */
void ipc_call_shared(struct env *e, capref_t ep, const uint64_t m[4]);
void ipc_reply_recv_shared(struct env *e, const uint64_t m[4]);
/* e leaves its IPC or notification wait (called by sched_unblock and
 * sched_cancel_wait only): undo the queue entry or waiter link. */
void ipc_wait_leave(struct env *e);
/* e is being destroyed: fail its callers and whoever waits for its reply. */
void ipc_env_dying(struct env *e);

/* New notification word owned and charged (one page per 128) by e, its
 * root capability in *ref.  Errors: -E_QUOTA, -E_NOSPC, -E_NOMEM. */
int notify_create(struct env *e, capref_t *ref);
/* OR bits into n, waking its waiter with all of them. */
void notify_signal(struct notify *n, uint64_t bits);
/* Take and clear n's bits. */
long notify_take(struct notify *n);
/* Take n's bits, or block e until some are set or the timeout passes.
 * Errors: -E_BUSY (another waiter); blocks otherwise (never returns). */
long notify_wait(struct env *e, struct notify *n, uint64_t timeout_ns);
/* The last capability to a notification word is going. */
void notify_release(struct cap *c);

#endif
