/*
 * The big kernel lock: a ticket lock, fair between CPUs.  A waiter spins
 * briefly, then halts until the CPU releasing the lock sends it a kick, so
 * that waiting CPUs do not steal cycles from the holder (which matters a
 * great deal when virtual CPUs outnumber real ones, as under TCG).
 * Waiters, spinning or halted, keep serving TLB-shootdown requests,
 * because the holder may be waiting for them to acknowledge one.
 * Fuzzing builds bound how long it is held and waited for
 * (tests/kernel/fuzz_lock.c).  The shared tier (klock.h) enters while the
 * lock is free, with one flag per CPU, and the holder waits for those
 * flags to clear before it runs.
 */
#include "console.h"
#include "fuzz.h"
#include "klock.h"
#include "panic.h"

#define SPIN_BEFORE_HALT_US 50     /* then halt until kicked */
#define MAX_WAITERS 64

struct kernel_ticket kernel_ticket;
#define bkl_next kernel_ticket.next
#define bkl_owner kernel_ticket.owner
static struct {
    volatile int holder;        /* CPU holding it, or -1 */
    volatile unsigned ticket[MAX_WAITERS];  /* ticket a halted CPU waits for */
    volatile bool halted[MAX_WAITERS];
    volatile unsigned nhalted;              /* how many halted[] are set */
} bkl = {.holder = -1};
/* Per CPU: in the shared tier (klock.h). */
struct kernel_shared_flag kernel_shared[MAX_WAITERS];
#define shared kernel_shared
/* Counted by the holder, printed at shutdown: the scaling rows' story. */
static struct { uint64_t taken, contended, halts, wait_tsc; } stat;

/* The holder, once it has its ticket, waits for the shared tier to
 * drain: a CPU entering it after the ticket was taken sees the lock busy
 * and backs off (kernel_lock_shared), so the wait is one shared call at
 * most per CPU.  The ticket's locked add and the entry's store both come
 * before the other's load (sequentially consistent), so one of the two
 * always sees the other. */
static inline void shared_drain(unsigned me)
{
    unsigned n = cpu_count();
    for (unsigned c = 0; n > 1 && c < n; c++)
        while (c != me && __atomic_load_n(&shared[c].in, __ATOMIC_SEQ_CST))
            arch_poll_ipis();
}

bool kernel_lock_shared_wait(void)
{
    unsigned me = cpu_id();
    uint64_t now = arch_tsc(), hz = arch_tsc_hz(), until = hz ? now + hz / 1000000 * SPIN_BEFORE_HALT_US : now;
    /* Wait for the holder rather than queue behind it: a CPU that queued
     * would make the next shared entry of every other CPU queue too, a
     * convoy that outlives the holder.  After the spin kernel_lock's would
     * halt after, queue (it halts). */
    while (arch_tsc() < until) {
        while (__atomic_load_n(&bkl_owner, __ATOMIC_ACQUIRE) != __atomic_load_n(&bkl_next, __ATOMIC_ACQUIRE) &&
               arch_tsc() < until)
            arch_poll_ipis();
        __atomic_store_n(&shared[me].in, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&bkl_owner, __ATOMIC_SEQ_CST) == __atomic_load_n(&bkl_next, __ATOMIC_SEQ_CST))
            return true;
        __atomic_store_n(&shared[me].in, 0, __ATOMIC_RELEASE);
    }
    return false;
}

void kernel_lock(void)
{
    unsigned me = cpu_id();
    unsigned t = __atomic_fetch_add(&bkl_next, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&bkl_owner, __ATOMIC_ACQUIRE) == t) {  /* uncontended: the common case */
        shared_drain(me);
        bkl.holder = (int)me;
        stat.taken++;
        fuzz_lock_taken();
        return;
    }
    uint64_t hz = arch_tsc_hz(), since = arch_tsc(), spin_until = hz ? since + hz / 1000000 * SPIN_BEFORE_HALT_US : ~0ul;
    unsigned halts = 0;
    while (__atomic_load_n(&bkl_owner, __ATOMIC_ACQUIRE) != t) {
        arch_poll_ipis();
        if (arch_tsc() < spin_until) {
            __asm__ volatile("pause");
            continue;
        }
        bkl.ticket[me] = t, halts++;
        __atomic_fetch_add(&bkl.nhalted, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&bkl.halted[me], true, __ATOMIC_SEQ_CST);
        fuzz_lock_waiting(since, bkl.holder);
        if (__atomic_load_n(&bkl_owner, __ATOMIC_SEQ_CST) != t)
            arch_wait_for_kick();   /* sti; hlt; cli: a kick sent after the check still wakes us */
        __atomic_store_n(&bkl.halted[me], false, __ATOMIC_SEQ_CST);
        __atomic_fetch_sub(&bkl.nhalted, 1, __ATOMIC_SEQ_CST);
    }
    shared_drain(me);
    bkl.holder = (int)me;
    stat.taken++, stat.contended++, stat.halts += halts, stat.wait_tsc += arch_tsc() - since;
    fuzz_lock_taken();
}

void kernel_lock_print_stats(void)
{
    uint64_t mhz = arch_tsc_hz() / 1000000;
    kprintf("klock: taken %lu, contended %lu, halted %lu, waited %lu us\n", stat.taken, stat.contended,
            stat.halts, mhz ? stat.wait_tsc / mhz : 0);
}

void kernel_unlock(void)
{
    if (bkl.holder != (int)cpu_id())
        panic("kernel_unlock: not held by this CPU");
    fuzz_lock_releasing();
    bkl.holder = -1;
    unsigned next = bkl_owner + 1;
    __atomic_store_n(&bkl_owner, next, __ATOMIC_SEQ_CST);
    for (unsigned c = 0; __atomic_load_n(&bkl.nhalted, __ATOMIC_SEQ_CST) && c < cpu_count(); c++)
        if (__atomic_load_n(&bkl.halted[c], __ATOMIC_SEQ_CST) && bkl.ticket[c] == next)
            arch_kick_cpu(c);
}
