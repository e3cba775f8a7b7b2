/*
 * The fuzzing kernel's audit of the scheduler's queues (VENEER_FUZZ; run
 * with kernel_audit).  It recounts from the environment table what
 * kernel/sched.c keeps incrementally, and panics on the first
 * disagreement:
 *   - the run queue holds exactly the RUNNABLE environments, linked both
 *     ways;
 *   - the timeout heap holds exactly the sleepers with a timeout, each at
 *     the place its timer_ix says, none earlier than its parent;
 *   - the poll list holds exactly the env_wait sleepers with a predicate,
 *     each linked both ways in the bucket of its word, and the next to
 *     poll is one of them;
 *   - the count of STOPPED environments is right.
 */
#ifdef VENEER_FUZZ
#include "env.h"
#include "panic.h"
#include "sched.h"

/* Walk a q_next list from head: its length, checking the back links and
 * that each member is in the state `member` says. */
static unsigned audit_list(struct env *head, bool (*member)(const struct env *), const char *what)
{
    unsigned n = 0;
    for (struct env *e = head, *prev = NULL; e; prev = e, e = e->q_next) {
        if (e->q_prev != prev || !member(e) || ++n > NENV)
            panic("audit: env %x in the %s is misplaced (status %d, wait %d)", e->id, what, e->status, e->wait);
    }
    return n;
}

static bool runnable(const struct env *e) { return e->status == ENV_RUNNABLE; }
static bool pred_sleeper(const struct env *e)
{
    return e->status == ENV_SLEEPING && e->wait == WAIT_SLEEP && e->wait_op != VN_WAIT_NONE;
}
static bool timed_sleeper(const struct env *e) { return e->status == ENV_SLEEPING && e->wake_tsc; }

void sched_audit(void)
{
    struct sched_view v;
    sched_view(&v);
    unsigned nrun = 0, npred = 0, ntimed = 0, nstopped = 0;
    bool next_found = !v.pred_next;
    for (unsigned i = 0; i < NENV; i++) {
        struct env *e = &envs[i];
        nrun += runnable(e);
        nstopped += e->status == ENV_STOPPED;
        if (timed_sleeper(e)) {
            ntimed++;
            if (!e->timer_ix || e->timer_ix > v.ntimers || v.timers[e->timer_ix - 1] != e)
                panic("audit: sleeper %x with a timeout is not in the heap", e->id);
        } else if (e->timer_ix) {
            panic("audit: env %x (status %d) left in the timeout heap", e->id, e->status);
        }
        if (!pred_sleeper(e))
            continue;
        npred++;
        next_found |= e == v.pred_next;
        struct env **b = v.bucket(e->wait_pa);
        if ((e->w_prev ? e->w_prev->w_next != e : *b != e) || (e->w_next && e->w_next->w_prev != e))
            panic("audit: predicate sleeper %x is not linked in its word's bucket", e->id);
    }
    for (unsigned i = 1; i < v.ntimers; i++)
        if (v.timers[(i - 1) / 2]->wake_tsc > v.timers[i]->wake_tsc)
            panic("audit: timeout heap out of order at %u", i);
    if (audit_list(v.runq, runnable, "run queue") != v.nrunq || v.nrunq != nrun)
        panic("audit: run queue counts %u, holds a list of others, %u are runnable", v.nrunq, nrun);
    if (audit_list(v.predq, pred_sleeper, "poll list") != v.npred || v.npred != npred || !next_found)
        panic("audit: poll list counts %u, %u sleep on a predicate (next to poll found: %d)", v.npred, npred,
              next_found);
    if (v.ntimers != ntimed || v.nstopped != nstopped)
        panic("audit: heap %u of %u timed sleepers, %u of %u stopped counted", v.ntimers, ntimed, v.nstopped,
              nstopped);
}
#endif
