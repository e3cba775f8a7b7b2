/*
 * CPU multiplexing: time slices, visible preemption, sleeping and waking.
 * Mechanism only: a round-robin queue of slices whose length is the
 * environment's share; what runs inside a slice is the libOS's business
 * (the scheduling upcall tells it when a slice ended).
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "types.h"
#include "env.h"

#define SLICE_NS 5000000ul       /* one time slice: 5 ms */
#define IDLE_POLL_NS 1000000ul   /* idle CPUs re-check wakeup predicates */

struct env;

/* e starts running on this CPU: start a new slice unless e holds the
 * current one (a directed yield hands the rest of a slice over). */
void sched_slice_begin(struct env *e);
/* Hand this CPU's current slice to target (directed yield). */
void sched_slice_donate(struct env *target);
/* Timer interrupt while e ran: slice over (returns true: e was preempted)
 * or the warning point (delivers VN_T_SLICE_WARN). */
bool sched_tick(struct env *e);
/* A sleeping or new environment became runnable: wake an idle CPU. */
void sched_kick(void);
/* TSC deadline ns from now (0: none). */
uint64_t sched_deadline(uint64_t ns);
/* Put the running e to sleep waiting for `why`, until wake_tsc (0: none),
 * when its syscall returns timeout_rv; the waiting mechanism (ipc.c) has
 * made or will make its links.  Every sleep goes through here. */
void sched_block(struct env *e, enum env_wait why, uint64_t wake_tsc, long timeout_rv);
/* Per-CPU scheduling statistics, printed at shutdown. */
void sched_print_stats(void);
/* End e's wait, whatever it is (unlinking it from IPC queues and
 * notification words), and make it runnable with result r (VN_WAKE_* or
 * -E_* or an IPC result).  Panics if e is not sleeping: callers check
 * e->wait first, so that each waker takes e out of the state it is in. */
void sched_unblock(struct env *e, long r);
/* The IPC switch: the running e goes to sleep (as sched_block, timeout
 * result -E_TIMEOUT), `to` ends its wait with result r and runs at once on
 * this CPU on the rest of e's slice, never passing through the run queue
 * (so no idle CPU is kicked for it).  Never returns. */
void sched_handoff(struct env *e, enum env_wait why, uint64_t wake_tsc, struct env *to, long r)
    __attribute__((noreturn));
/* sched_handoff's changes of state, without the switch (env_run(to)
 * next).  With no timeout, no predicate and `to` in an IPC wait, they
 * touch only the two environments and this CPU's slice: the shared tier's
 * IPC (ipc.c) makes them under both spaces' locks. */
void sched_handoff_states(struct env *e, enum env_wait why, uint64_t wake_tsc, struct env *to, long r);
/* e is being destroyed: leave its wait (if any) without waking it. */
void sched_cancel_wait(struct env *e);
/* Wake the sleepers whose env_wait predicate is on the word at physical
 * address pa and now holds, passing over at most WAKE_WORD_PASS_MAX
 * others (the poll finds any it did not reach); returns how many. */
int sched_wake_word(paddr_t pa);

#ifdef VENEER_FUZZ
/* What the fuzzing kernel's audit (tests/kernel/fuzz_sched.c) recounts. */
struct sched_view {
    struct env *runq, *predq, *pred_next;   /* heads, and the next to poll */
    unsigned nrunq, npred, ntimers, nstopped;
    struct env *const *timers;              /* the heap */
    struct env **(*bucket)(paddr_t pa);     /* env_wake_word's bucket of a word */
};
void sched_view(struct sched_view *v);
void sched_audit(void);
#endif

#endif
