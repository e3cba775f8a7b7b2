/*
 * The big kernel lock: a ticket lock, fair between CPUs.  A waiter spins
 * briefly, then halts until the CPU releasing the lock sends it a kick, so
 * that waiting CPUs do not steal cycles from the holder (which matters a
 * great deal when virtual CPUs outnumber real ones, as under TCG).
 * Waiters, spinning or halted, keep serving TLB-shootdown requests,
 * because the holder may be waiting for them to acknowledge one.
 */
#include "arch.h"
#include "klock.h"
#include "panic.h"

#define SPIN_BEFORE_HALT_US 50     /* then halt until kicked */
#define MAX_WAITERS 64

static struct {
    volatile unsigned next;     /* next ticket to hand out */
    volatile unsigned owner;    /* ticket being served */
    volatile int holder;        /* CPU holding it, or -1 */
    volatile unsigned ticket[MAX_WAITERS];  /* ticket a halted CPU waits for */
    volatile bool halted[MAX_WAITERS];
    volatile unsigned nhalted;              /* how many halted[] are set */
} bkl = {.holder = -1};

#ifdef VENEER_FUZZ
#include "console.h"
#include "syscall.h"
/*
 * Fuzzing builds: bounds on the lock.  Held longer than FUZZ_HOLD_MS means
 * work proportional to something a user chose, with interrupts off: it is
 * logged, and a panic follows when the same syscall does it FUZZ_HOLD_TIMES
 * times (under TCG the TSC runs on host time, so a host scheduling delay
 * can make one hold look long, but not the same call's, again and again).
 * Waited for longer than FUZZ_WAIT_MS means the holder never lets go (a
 * hang, reported by the waiter).  A waiter halted for its kick also wakes
 * every FUZZ_RECHECK_NS to look.
 */
#define FUZZ_HOLD_MS 250
#define FUZZ_HOLD_TIMES 3
#define FUZZ_WAIT_MS 2000
#define FUZZ_RECHECK_NS 10000000ul
static uint64_t fuzz_taken;     /* TSC when it was taken (0: before calibration, not measured) */
static struct {
    const char *syscall;
    unsigned times;
} fuzz_over[64];                /* long holds so far, by the syscall they happened in */

static uint64_t fuzz_ms(uint64_t since)
{
    uint64_t hz = arch_tsc_hz();
    return hz && since ? (arch_tsc() - since) / (hz / 1000) : 0;
}

static void fuzz_lock_taken(void)
{
    fuzz_taken = arch_tsc_hz() ? arch_tsc() : 0;
}

static void fuzz_lock_waiting(uint64_t since)
{
    uint64_t ms = fuzz_ms(since);
    int h = bkl.holder;
    if (ms > FUZZ_WAIT_MS)
        panic("FUZZ: cpu %u waited %lu ms for the kernel lock; cpu %d holds it (last syscall there: %s)",
              cpu_id(), ms, h, h >= 0 ? syscall_trace_current((unsigned)h) : "-");
    if (arch_tsc_hz())
        arch_timer_oneshot(FUZZ_RECHECK_NS);    /* the halt below ends by then */
}

static void fuzz_lock_releasing(void)
{
    uint64_t ms = fuzz_ms(fuzz_taken);
    if (ms <= FUZZ_HOLD_MS)
        return;
    const char *sys = syscall_trace_current(cpu_id());
    unsigned i = 0;
    while (i < 63 && fuzz_over[i].syscall && fuzz_over[i].syscall != sys)
        i++;
    fuzz_over[i].syscall = sys;
    kprintf("FUZZ: kernel lock held %lu ms by cpu %u (last syscall there: %s)\n", ms, cpu_id(), sys);
    if (++fuzz_over[i].times >= FUZZ_HOLD_TIMES || ms > FUZZ_WAIT_MS)
        panic("FUZZ: kernel lock held %lu ms by cpu %u (last syscall there: %s, %u times over %u ms)", ms,
              cpu_id(), sys, fuzz_over[i].times, FUZZ_HOLD_MS);
}
#else
static inline void fuzz_lock_taken(void) {}
static inline void fuzz_lock_waiting(uint64_t since) { (void)since; }
static inline void fuzz_lock_releasing(void) {}
#endif

void kernel_lock(void)
{
    unsigned me = cpu_id();
    unsigned t = __atomic_fetch_add(&bkl.next, 1, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&bkl.owner, __ATOMIC_ACQUIRE) == t) {  /* uncontended: the common case */
        bkl.holder = (int)me;
        fuzz_lock_taken();
        return;
    }
    uint64_t hz = arch_tsc_hz(), since = arch_tsc(), spin_until = hz ? since + hz / 1000000 * SPIN_BEFORE_HALT_US : ~0ul;
    while (__atomic_load_n(&bkl.owner, __ATOMIC_ACQUIRE) != t) {
        arch_poll_ipis();
        if (arch_tsc() < spin_until) {
            __asm__ volatile("pause");
            continue;
        }
        bkl.ticket[me] = t;
        __atomic_fetch_add(&bkl.nhalted, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&bkl.halted[me], true, __ATOMIC_SEQ_CST);
        fuzz_lock_waiting(since);
        if (__atomic_load_n(&bkl.owner, __ATOMIC_SEQ_CST) != t)
            arch_wait_for_kick();   /* sti; hlt; cli: a kick sent after the check still wakes us */
        __atomic_store_n(&bkl.halted[me], false, __ATOMIC_SEQ_CST);
        __atomic_fetch_sub(&bkl.nhalted, 1, __ATOMIC_SEQ_CST);
    }
    bkl.holder = (int)me;
    fuzz_lock_taken();
}

void kernel_unlock(void)
{
    if (bkl.holder != (int)cpu_id())
        panic("kernel_unlock: not held by this CPU");
    fuzz_lock_releasing();
    bkl.holder = -1;
    unsigned next = bkl.owner + 1;
    __atomic_store_n(&bkl.owner, next, __ATOMIC_SEQ_CST);
    for (unsigned c = 0; __atomic_load_n(&bkl.nhalted, __ATOMIC_SEQ_CST) && c < cpu_count(); c++)
        if (__atomic_load_n(&bkl.halted[c], __ATOMIC_SEQ_CST) && bkl.ticket[c] == next)
            arch_kick_cpu(c);
}

bool kernel_lock_held(void)
{
    return bkl.holder == (int)cpu_id();
}
