/*
 * The fuzzing kernel's bounds on the kernel lock (VENEER_FUZZ; hooks in
 * kernel/fuzz.h, called by klock.c).  Held longer than FUZZ_HOLD_MS means
 * work proportional to something a user chose, with interrupts off: it is
 * logged, and a panic follows when the same syscall does it FUZZ_HOLD_TIMES
 * times (under TCG the TSC runs on host time, so a host scheduling delay
 * can make one hold look long, but not the same call's, again and again).
 * Waited for longer than FUZZ_WAIT_MS means the holder never lets go (a
 * hang, reported by the waiter).  A waiter halted for its kick also wakes
 * every FUZZ_RECHECK_NS to look.
 */
#ifdef VENEER_FUZZ
#include "arch.h"
#include "console.h"
#include "fuzz.h"
#include "klock.h"
#include "panic.h"

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

void fuzz_lock_taken(void)
{
    fuzz_taken = arch_tsc_hz() ? arch_tsc() : 0;
}

void fuzz_lock_waiting(uint64_t since, int holder)
{
    uint64_t ms = fuzz_ms(since);
    if (ms > FUZZ_WAIT_MS)
        panic("FUZZ: cpu %u waited %lu ms for the kernel lock; cpu %d holds it (last syscall there: %s)",
              cpu_id(), ms, holder, holder >= 0 ? syscall_trace_current((unsigned)holder) : "-");
    if (arch_tsc_hz())
        arch_timer_oneshot(FUZZ_RECHECK_NS);    /* the halt that follows ends by then */
}

void fuzz_lock_releasing(void)
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
#endif
