/*
 * The big kernel lock.  Locking rules (see docs/smp.md):
 *   - Every kernel entry from user mode takes it (syscall_trap,
 *     trap_dispatch) and every return to user mode releases it, in
 *     arch_context_resume() just before the registers are reloaded.
 *     Except the lock-free tier of `null` (trap.c: syscall_nolock), which
 *     reads only the caller's own fields and counts with atomics.
 *   - It guards all kernel state: the environment table, capability
 *     tables, bindings, page records, the page pool, the console and the
 *     scheduler.  Per-CPU fields (struct percpu) are their CPU's own.
 *   - The idle loop releases it while halted.
 *   - Never taken in interrupt context: the TLB-shootdown IPI is served
 *     without it (and polled by CPUs spinning for it), so the holder can
 *     wait for other CPUs' acknowledgements without deadlock.
 *   - panic() does not take it.
 * A CPU holds at most this one lock, so there is no ordering to get wrong.
 */
#ifndef KERNEL_KLOCK_H
#define KERNEL_KLOCK_H

#include <stdbool.h>
#include "arch.h"

void kernel_lock(void);
void kernel_unlock(void);

/* CPUs, for the portable kernel. */
unsigned cpu_count(void);
static inline unsigned cpu_id(void)
{
    return arch_cpu_id();
}
/* Start the other CPUs (they wait for the lock). */
void smp_boot(void);
/* Per-CPU statistics at shutdown. */
void arch_print_cpu_stats(void);
/* The lock's acquisitions, contended ones, halts and wait time, at shutdown. */
void kernel_lock_print_stats(void);
/* Serve a pending TLB shootdown request (called while spinning). */
void arch_poll_ipis(void);

#endif
