/*
 * Inter-environment communication: protected control transfer (a call
 * runs the callee on the caller's time slice and returns its reply) and
 * notification words.  Shared memory needs nothing here: it is page
 * capabilities granted and mapped (see docs/ipc.md).
 */
#ifndef KERNEL_IPC_H
#define KERNEL_IPC_H

#include "cap.h"

struct env;

enum { IPC_NONE, IPC_RECV, IPC_CALL };

/* A notification word (CAP_NOTIFY's object). */
struct notify {
    uint64_t bits;
    struct env *waiter;         /* sleeping in notify_wait, or NULL */
    struct env *owner;          /* charged for it */
};

/* e is being destroyed: fail its callers and its callee's wait for it. */
void ipc_env_dying(struct env *e);
/* A sleeping e's timeout passed: leave any IPC or notification wait.
 * Returns the value its syscall should return. */
long ipc_timed_out(struct env *e);
/* The last capability to a notification word is going. */
void notify_release(struct cap *c);

#endif
