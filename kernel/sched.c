/*
 * Scheduler.  One global FIFO run queue (round robin); each CPU takes the
 * environment at its head and gives it a slice of
 * SLICE_NS times its share.  When a slice ends the kernel saves the
 * context and, if the environment registered a scheduling upcall, enters
 * that upcall (with the saved context in the frame) the next time it runs
 * instead of silently resuming it: the libOS decides which of its threads
 * continues.  Sleepers (env_wait) are woken by timeouts, by predicates on a
 * word of their memory, or by env_wake(_word).  Idle CPUs halt with the
 * kernel lock released.  All state here is guarded by the big kernel lock,
 * except slices[c], which only CPU c touches.
 *
 * No scheduling decision costs time in the number of sleepers.  A sleeper
 * is on no list unless it has a timeout or a predicate; an IPC,
 * notification or env_wake wait is ended by its event alone.
 *
 *   timers: min-heap on wake_tsc      predq: a <-> b <-> c ...  (q_next)
 *          [0] earliest                          ^ pred_next: polled next,
 *         /    \                                  PRED_POLL_MAX a visit
 *       [1]    [2]   (e->timer_ix: place + 1)   words[bucket(wait_pa)]: a -> c
 *                                                 (w_next: env_wake_word)
 *
 * Expired timeouts cost O(log n) each.  Predicates are polled when a CPU
 * idles and every IDLE_POLL_NS while busy, at most PRED_POLL_MAX of them a
 * visit, round robin; env_wake_word looks only in its word's bucket.  A
 * sleeper whose word's page was remapped while it slept is in the bucket of
 * the old address: the poll finds it.
 */
#include <veneer/errors.h>
#include "console.h"
#include "ipc.h"
#include "irq.h"
#include "klock.h"
#include "panic.h"
#include "pmem.h"
#include "sched.h"

#define PRED_POLL_MAX 64        /* predicate sleepers polled a visit */
#define WORD_BUCKETS 1024       /* env_wake_word's hash of predicate words */

/* The run queue (FIFO: round robin), and the predicate sleepers. */
static struct queue {
    struct env *head, *tail;
    unsigned n;
} runq, predq;
static struct env *pred_next;           /* predq: the one to poll next (NULL: its head) */
static uint64_t poll_at;                /* TSC of the next busy poll */
static struct env *words[WORD_BUCKETS]; /* predicate sleepers by word */
/* env_wake_word passes over at most this many sleepers it does not wake
 * (another word's, or a predicate that does not hold), so that a libOS
 * parking thousands on one word cannot make each call walk them all under
 * the big lock; a sleeper left behind is still found by the poll. */
#define WAKE_WORD_PASS_MAX 256
static struct env *timers[NENV];        /* sleepers with a timeout: a heap */
static unsigned ntimers;
static unsigned nstopped;               /* environments in ENV_STOPPED */

static void q_remove(struct queue *q, struct env *e)
{
    if (e->q_prev)
        e->q_prev->q_next = e->q_next;
    else
        q->head = e->q_next;
    if (e->q_next)
        e->q_next->q_prev = e->q_prev;
    else
        q->tail = e->q_prev;
    e->q_next = e->q_prev = NULL;
    q->n--;
}

static void q_append(struct queue *q, struct env *e)
{
    e->q_next = NULL;
    e->q_prev = q->tail;
    if (q->tail)
        q->tail->q_next = e;
    else
        q->head = e;
    q->tail = e;
    q->n++;
}

void env_set_status(struct env *e, enum env_status s)
{
    if (e->status == s)
        return;         /* env_run after sched_handoff */
    /* A dying environment only ever becomes free: nothing may revive it. */
    if (e->status == ENV_DYING && s != ENV_FREE && s != ENV_DYING)
        panic("env_set_status: env %x is dying, not %d", e->id, s);
    if (e->status == ENV_RUNNABLE) {
        if (s != ENV_RUNNABLE)
            q_remove(&runq, e);
    } else if (s == ENV_RUNNABLE) {
        q_append(&runq, e);
        nstopped -= e->status == ENV_STOPPED;       /* env_start */
    } else if (__builtin_expect(s == ENV_STOPPED || e->status == ENV_STOPPED, 0)) {
        nstopped += s == ENV_STOPPED ? 1 : -1;      /* created (only ever from FREE), or destroyed unstarted */
    }
    e->status = s;
}

/* ---- the timeout heap: timers[0] has the earliest wake_tsc */

static void timer_put(unsigned i, struct env *e)
{
    timers[i] = e;
    e->timer_ix = i + 1;
}

/* Move timers[i] up or down to its place. */
static void timer_fix(unsigned i)
{
    struct env *e = timers[i];
    for (; i && timers[(i - 1) / 2]->wake_tsc > e->wake_tsc; i = (i - 1) / 2)
        timer_put(i, timers[(i - 1) / 2]);
    for (unsigned c; (c = 2 * i + 1) < ntimers; i = c) {
        if (c + 1 < ntimers && timers[c + 1]->wake_tsc < timers[c]->wake_tsc)
            c++;
        if (timers[c]->wake_tsc >= e->wake_tsc)
            break;
        timer_put(i, timers[c]);
    }
    timer_put(i, e);
}

static void timer_remove(struct env *e)
{
    unsigned i = e->timer_ix - 1;
    struct env *last = timers[--ntimers];
    e->timer_ix = 0;
    if (last != e) {
        timers[i] = last;
        timer_fix(i);
    }
}

/* ---- predicate sleepers: predq (polled) and their word's bucket */

static struct env **word_bucket(paddr_t pa) { return &words[(pa >> 3 ^ pa >> 15) % WORD_BUCKETS]; }

static void pred_add(struct env *e)
{
    struct env **b = word_bucket(e->wait_pa);
    q_append(&predq, e);
    e->w_prev = NULL;
    if ((e->w_next = *b))
        (*b)->w_prev = e;
    *b = e;
}

static void pred_remove(struct env *e)
{
    if (pred_next == e)
        pred_next = e->q_next;
    q_remove(&predq, e);
    if (e->w_next)
        e->w_next->w_prev = e->w_prev;
    *(e->w_prev ? &e->w_prev->w_next : word_bucket(e->wait_pa)) = e->w_next;
}
static struct {
    struct env *env;                    /* holder of this CPU's current slice */
    uint64_t end;                       /* TSC at which it ends */
    uint64_t warn_at;                   /* TSC of the warning (0: none) */
    uint64_t armed;                     /* TSC the timer is set for (0: off) */
    uint64_t begins, ends, early, programs; /* statistics */
} __attribute__((aligned(64))) slices[64];  /* a line each: CPUs switching apart share none */

void sched_print_stats(void)
{
    for (unsigned c = 0; c < cpu_count(); c++)
        kprintf("sched: cpu %u: %lu slices begun, %lu ended by the timer, %lu early ticks, %lu timer writes\n", c,
                slices[c].begins, slices[c].ends, slices[c].early, slices[c].programs);
}

static uint64_t ns_to_tsc(uint64_t ns)
{
    return ns / 1000 * (arch_tsc_hz() / 1000000) + ns % 1000 * (arch_tsc_hz() / 1000000) / 1000;
}

/* Have a timer interrupt by tsc.  Device-register writes are slow under
 * emulation, so a timer already due earlier is left alone: the early tick
 * re-arms it (sched_tick). */
static void timer_for(uint64_t tsc)
{
    uint64_t now = arch_tsc(), hz = arch_tsc_hz();
    unsigned c = cpu_id();
    if (slices[c].armed > now && slices[c].armed <= tsc)
        return;
    slices[c].armed = tsc;
    slices[c].programs++;
    arch_timer_oneshot(tsc > now ? (tsc - now) / (hz / 1000000) * 1000 + 1 : 1);
}

/* A new slice for e on CPU c: out of line, so that the common case (a
 * slice held on, or handed over by a directed switch) pays no frame. */
static __attribute__((noinline)) void slice_new(struct env *e, unsigned c)
{
    uint64_t now = arch_tsc(), len = ns_to_tsc(SLICE_NS * e->share);
    slices[c].begins++;
    slices[c].env = e;
    slices[c].end = now + len;
    e->warned = false;
    slices[c].warn_at = e->warn_ns && ns_to_tsc(e->warn_ns) < len ? slices[c].end - ns_to_tsc(e->warn_ns) : 0;
    if (e->info)
        e->info->slice_end_tsc = slices[c].end;
    timer_for(slices[c].warn_at ? slices[c].warn_at : slices[c].end);
}

void sched_slice_begin(struct env *e)
{
    unsigned c = cpu_id();
    if (slices[c].env != e)
        slice_new(e, c);
    /* A tick taken in kernel mode (waiting for the lock with interrupts
     * on) is not a slice end: re-arm, at once if the slice is over. */
    else if (slices[c].armed <= arch_tsc())
        timer_for(slices[c].end);
}

void sched_slice_donate(struct env *target)
{
    slices[cpu_id()].env = target;
    if (target->info)
        target->info->slice_end_tsc = slices[cpu_id()].end;
}

bool sched_tick(struct env *e)
{
    unsigned c = cpu_id();
    uint64_t now = arch_tsc();
    slices[c].armed = 0;
    if (slices[c].env != e)
        return true;        /* a stale tick: treat as the end of a slice */
    if (now + ns_to_tsc(1000) < slices[c].end) {
        if (slices[c].warn_at && !e->warned && now + ns_to_tsc(1000) >= slices[c].warn_at) {
            e->warned = true;
            timer_for(slices[c].end);
            if (e->upcall[UPCALL_SCHED].entry && !env_upcall(e, UPCALL_SCHED, VN_T_SLICE_WARN, 0, 0))
                env_kill(e, "cannot deliver the slice warning");
            return false;
        }
        timer_for(slices[c].warn_at && !e->warned ? slices[c].warn_at : slices[c].end);
        slices[c].early++;
        return false;       /* early tick */
    }
    slices[c].ends++;
    slices[c].env = NULL;
    e->preempted = true;
    return true;
}

void sched_kick(void)
{
    for (unsigned c = 0; c < cpu_count(); c++) {
        if (c != cpu_id() && arch_cpu_idle(c)) {
            arch_kick_cpu(c);
            return;
        }
    }
}

/* Out of line, so that sched_deadline(0), every untimed call and wait,
 * costs a test and not this one's frame. */
static __attribute__((noinline)) uint64_t deadline_from_now(uint64_t ns) { return arch_tsc() + ns_to_tsc(ns) + 1; }

uint64_t sched_deadline(uint64_t ns) { return ns ? deadline_from_now(ns) : 0; }

void sched_block(struct env *e, enum env_wait why, uint64_t wake_tsc, long timeout_rv)
{
    if (e->status != ENV_RUNNING || e->wait != WAIT_NONE || why == WAIT_NONE)
        panic("sched_block: env %x status %d already waiting (%d)", e->id, e->status, e->wait);
    if (why != WAIT_SLEEP)
        e->wait_op = VN_WAIT_NONE;
    e->wait = why;
    e->wake_tsc = wake_tsc;
    e->wait_timeout_rv = timeout_rv;
    if (wake_tsc) {
        timers[ntimers++] = e;
        timer_fix(ntimers - 1);
    }
    if (e->wait_op != VN_WAIT_NONE)
        pred_add(e);
    arch_context_set_return(&e->tf, timeout_rv);
    env_set_status(e, ENV_SLEEPING);
}

/* Undo what e's wait linked (queues, notification words). */
static void leave_wait(struct env *e)
{
    if (e->wait != WAIT_SLEEP)
        ipc_wait_leave(e);
    if (e->timer_ix)
        timer_remove(e);
    if (e->wait_op != VN_WAIT_NONE)
        pred_remove(e);
    e->wait = WAIT_NONE;
    e->wait_op = VN_WAIT_NONE;
    e->wake_tsc = 0;
}

void sched_unblock(struct env *e, long r)
{
    if (e->status != ENV_SLEEPING || e->wait == WAIT_NONE)
        panic("sched_unblock: env %x is not waiting (status %d, wait %d)", e->id, e->status, e->wait);
    leave_wait(e);
    arch_context_set_return(&e->tf, r);
    env_set_status(e, ENV_RUNNABLE);
    sched_kick();
}

void sched_handoff_states(struct env *e, enum env_wait why, uint64_t wake_tsc, struct env *to, long r)
{
    if (to->status != ENV_SLEEPING || to->wait == WAIT_NONE)
        panic("sched_handoff: env %x is not waiting (status %d, wait %d)", to->id, to->status, to->wait);
    leave_wait(to);
    arch_context_set_return(&to->tf, r);
    env_set_status(to, ENV_RUNNING);    /* env_run takes it from here, on this CPU */
    sched_block(e, why, wake_tsc, -E_TIMEOUT);
    sched_slice_donate(to);
}

void sched_handoff(struct env *e, enum env_wait why, uint64_t wake_tsc, struct env *to, long r)
{
    sched_handoff_states(e, why, wake_tsc, to, r);
    env_run(to);
}

void sched_cancel_wait(struct env *e)
{
    if (e->status == ENV_SLEEPING)
        leave_wait(e);
}

/* A predicate sleeper's word: -1 unmapped, else whether its wait is over
 * (its physical address in *pa). */
static int pred_met(struct env *e, paddr_t *pa)
{
    if (vm_lookup(e->vm, e->wait_va & ~(PAGE_SIZE - 1), pa, NULL) < 0)
        return -1;
    *pa += e->wait_va % PAGE_SIZE;
    return (e->wait_op == VN_WAIT_EQ) == (*(volatile uint64_t *)P2V(*pa) == e->wait_value);
}

int sched_wake_word(paddr_t pa)
{
    int woken = 0;
    unsigned passed = 0;
    paddr_t epa;
    for (struct env *e = *word_bucket(pa), *n; e && passed < WAKE_WORD_PASS_MAX; e = n) {
        n = e->w_next;          /* sched_unblock takes e out of the bucket */
        if (e->wait_pa == pa && pred_met(e, &epa) == 1 && epa == pa) {   /* no page walk for a collision */
            sched_unblock(e, VN_WAKE_PREDICATE);
            woken++;
        } else {
            passed++;
        }
    }
    return woken;
}

#ifdef VENEER_FUZZ
void sched_view(struct sched_view *v)
{
    *v = (struct sched_view){runq.head, predq.head, pred_next, runq.n, predq.n, ntimers, nstopped, timers, word_bucket};
}
#endif

/* Wake the sleepers whose timeout has passed (one whose predicate holds
 * too is told so). */
static void timers_expire(uint64_t now)
{
    while (ntimers && timers[0]->wake_tsc <= now) {
        struct env *e = timers[0];
        paddr_t pa;
        int met = e->wait_op != VN_WAIT_NONE ? pred_met(e, &pa) : 0;
        sched_unblock(e, met == 1 ? VN_WAKE_PREDICATE : met == -1 ? -E_FAULT : e->wait_timeout_rv);
    }
}

/* Check the next PRED_POLL_MAX predicate sleepers (all, if fewer); wake
 * those whose predicate holds, or whose word is no longer mapped. */
static void preds_poll(uint64_t now)
{
    paddr_t pa;
    poll_at = now + ns_to_tsc(IDLE_POLL_NS);
    for (unsigned n = predq.n < PRED_POLL_MAX ? predq.n : PRED_POLL_MAX; n && predq.n; n--) {
        struct env *e = pred_next ? pred_next : predq.head;
        pred_next = e->q_next;
        int met = pred_met(e, &pa);
        if (met)
            sched_unblock(e, met == 1 ? VN_WAKE_PREDICATE : -E_FAULT);
    }
}

/* Nothing is runnable, running or sleeping, yet environments remain: they
 * are stopped ones nobody will start.  Destroy them so the run can end. */
static bool only_stopped_left(void)
{
    for (unsigned c = 0; c < cpu_count(); c++)
        if (slices[c].env || (c != cpu_id() && !arch_cpu_idle(c)))
            return false;
    return nstopped == env_count();
}

void sched_run(void)
{
    struct env *cur = arch_curenv();
    if (cur) {
        env_switch_out(cur);
        arch_set_curenv(NULL);
    }
    for (;;) {
        env_reap();
        uint64_t now = arch_tsc();
        if (ntimers && now >= timers[0]->wake_tsc)
            timers_expire(now);
        if (predq.n && (!runq.head || now >= poll_at))
            preds_poll(now);
        if (runq.head)
            env_run(runq.head);
        if (env_count() == 0)
            kernel_finish();
        if (only_stopped_left()) {
            for (unsigned i = 0; i < NENV; i++) {
                if (envs[i].status == ENV_STOPPED) {
                    kprintf("env %x (%s) never started; destroyed\n", envs[i].id, envs[i].name);
                    env_destroy(&envs[i], -1, 0);
                }
            }
            continue;
        }
        /* Idle until a timeout, a predicate poll or a kick. */
        slices[cpu_id()].env = NULL;
        vm_deactivate();
        uint64_t poll = predq.n ? arch_tsc() + ns_to_tsc(IDLE_POLL_NS) : 0;
        if (ntimers && (!poll || timers[0]->wake_tsc < poll))
            timer_for(timers[0]->wake_tsc);
        else if (poll)
            timer_for(poll);
        else if (slices[cpu_id()].armed)
            arch_timer_oneshot(0);     /* off (armed is cleared below) */
        arch_idle();
        irq_deliver_pending();          /* device interrupts that ended the halt */
        slices[cpu_id()].armed = 0;     /* woken: by the timer or not, re-arm next time */
    }
}
