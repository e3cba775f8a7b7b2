/*
 * The kernel's locks (docs/cpu.md has the picture).
 *
 * The big kernel lock, taken exclusively:
 *   - Every kernel entry from user mode takes it (syscall_trap,
 *     trap_dispatch) and every return to user mode releases it, in
 *     arch_context_resume() just before the registers are reloaded.
 *     Except the two tiers below.
 *   - It guards all kernel state: the environment table, capability
 *     tables, bindings, page records, the page pool, the console and the
 *     scheduler.  Per-CPU fields (struct percpu) are their CPU's own.
 *   - Whoever takes it also waits until no CPU is in the shared tier, so
 *     its holder runs alone in the kernel, as it always did.
 *   - The idle loop releases it while halted.
 *   - Never taken in interrupt context: the TLB-shootdown IPI is served
 *     without it (and polled by CPUs spinning for any lock), so a holder
 *     can wait for other CPUs' acknowledgements without deadlock.
 *   - panic() does not take it.
 * The lock-free tier (trap.c: syscall_nolock, the reflection tier) reads
 * only the caller's own fields and counts per CPU.
 * The shared tier (trap.c: syscall_shared_tier, fault_shared_tier,
 * ipc_shared_tier; the "shared:" calls of syscalls.tbl, a page fault
 * reflected to the libOS, the IPC switch) runs while no CPU holds the big
 * lock or waits for it (kernel_lock_shared), on as many CPUs at once as
 * like, under these fine-grained locks, taken in this order:
 *     the caller's space lock (struct env's space_lock, of env_space(e);
 *     it guards the space's tables and its environments' IPC and
 *     scheduling state), then for the IPC switch the other party's,
 *     only if free at once (spin_trylock: no order between spaces)
 *   < an object's lock (page_obj_lock: a page's records, the bindings
 *     and derivation of its capabilities; one per hash of the object)
 *   < a slab's lock < the page pool's lock.
 * A call that would need more (another space's tables, a device, the run
 * queue or a timeout, a translation another CPU may cache) returns
 * SYSCALL_EXCLUSIVE or gives up before it changes anything, and runs
 * again under the big lock.  The exclusive holder takes the fine locks
 * too, and finds them free.
 */
#ifndef KERNEL_KLOCK_H
#define KERNEL_KLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "arch.h"

void kernel_lock(void);
void kernel_unlock(void);
/* A fine-grained lock of the shared tier.  A waiter keeps serving
 * TLB-shootdown requests, as the holder may wait for its acknowledgement. */
struct spinlock {
    volatile uint32_t held;
};
void arch_poll_ipis(void);
static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
            arch_poll_ipis();
}
static inline bool spin_trylock(struct spinlock *l)
{
    return !__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE);
}
static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}
/* The CPUs in the shared tier: a flag each, and the locks to release with
 * it (kernel_unlock_shared). */
struct kernel_shared_flag {
    volatile uint32_t in;
    struct spinlock *release[2];
} __attribute__((aligned(64)));     /* a line each */
extern struct kernel_shared_flag kernel_shared[64];
/* The big lock's ticket counters: free when they are equal. */
extern struct kernel_ticket {
    volatile unsigned next;     /* next ticket to hand out */
    volatile unsigned owner;    /* ticket being served */
} kernel_ticket;
/* Whether this CPU is in the shared tier. */
static inline bool kernel_shared_held(void)
{
    return kernel_shared[arch_cpu_id()].in != 0;
}
/* kernel_lock_shared found the big lock busy: wait (up to 50 us) for it
 * to be free and try again; false: take the big lock instead. */
bool kernel_lock_shared_wait(void);
/* Enter the shared tier on this CPU: true when no CPU holds the big lock
 * or waits for it, and then none takes it until kernel_unlock_shared();
 * false: take the big lock instead.  This CPU's flag is stored before the
 * lock is read, and a taker adds to the ticket before it reads the flags
 * (klock.c), both sequentially consistent: one of the two sees the other. */
static inline bool kernel_lock_shared(void)
{
    struct kernel_shared_flag *f = &kernel_shared[arch_cpu_id()];
    __atomic_store_n(&f->in, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&kernel_ticket.owner, __ATOMIC_SEQ_CST) == __atomic_load_n(&kernel_ticket.next, __ATOMIC_SEQ_CST))
        return true;
    __atomic_store_n(&f->in, 0, __ATOMIC_RELEASE);
    return kernel_lock_shared_wait();
}
/* Leave the shared tier, releasing the locks kernel_shared_release_later
 * handed over (a switch that returns to user mode holding them). */
static inline void kernel_unlock_shared(void)
{
    struct kernel_shared_flag *f = &kernel_shared[arch_cpu_id()];
    for (int i = 0; i < 2; i++)
        if (f->release[i])
            spin_unlock(f->release[i]), f->release[i] = NULL;
    __atomic_store_n(&f->in, 0, __ATOMIC_RELEASE);
}
/* Have kernel_unlock_shared release a and b (either may be NULL). */
static inline void kernel_shared_release_later(struct spinlock *a, struct spinlock *b)
{
    struct kernel_shared_flag *f = &kernel_shared[arch_cpu_id()];
    f->release[0] = a, f->release[1] = b;
}


/* CPUs, for the portable kernel. */
static inline unsigned cpu_count(void)
{
    return arch_cpu_count();
}
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
/* arch_poll_ipis (above): serve a pending TLB shootdown request (called
 * while spinning). */

#endif
