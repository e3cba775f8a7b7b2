/*
 * CPU multiplexing: time slices, visible preemption, sleeping and waking.
 * Mechanism only: a round-robin queue of slices whose length is the
 * environment's share; what runs inside a slice is the libOS's business
 * (the scheduling upcall tells it when a slice ended).
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "types.h"

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
/* Put e to sleep (env_wait): until wake_tsc (0: none), the predicate, or env_wake. */
void sched_sleep(struct env *e);
/* Per-CPU scheduling statistics, printed at shutdown. */
void sched_print_stats(void);
/* Wake a sleeping e with result r (VN_WAKE_* or -E_*). */
void sched_wake(struct env *e, long r);
/* Wake the sleepers whose env_wait predicate is on the word at physical
 * address pa and now holds; returns how many. */
int sched_wake_word(paddr_t pa);

#endif
