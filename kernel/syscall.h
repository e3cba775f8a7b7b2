/* System-call dispatch; the table itself is generated from syscalls.tbl. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>
#include <veneer/syscall_nums.h>
#include "page_meta.h"

#define SYSCALL_NOLOCK_CPUS 64    /* at least the CPUs that may race (MAX_CPUS) */
#define SYSCALL_SHARED_CPUS 16    /* CPUs with a table of their own (at least MAX_CPUS) */

/* Run syscall num with arguments a[0..5]; returns the value for rax. */
long syscall_dispatch(uint64_t num, const uint64_t a[6]);

/* Count the outcome of syscall num in the exposed path counters (fuzzing
 * builds: and check it against the call's errors column), and with count
 * the call in vn_sysinfo.syscalls (the shared tier counts per CPU, as the
 * lock-free one does). */
void syscall_account(uint64_t num, long result, bool count);
/* Add this CPU's shared-tier path counts to the exposed ones (its timer
 * tick or a big-lock entry, with interrupts off): at once when it has none. */
extern struct syscall_pending_rows {
    uint64_t rows;              /* bit n: this CPU has counts of call n not yet added */
} __attribute__((aligned(64))) syscall_pending_rows[SYSCALL_SHARED_CPUS];
void syscall_fold_paths_now(void);
static inline void syscall_fold_paths(unsigned cpu)
{
    if (cpu < SYSCALL_SHARED_CPUS && syscall_pending_rows[cpu].rows)
        syscall_fold_paths_now();
}
/* The same for a call of the lock-free tier that returned 0 (inline: it
 * is most of that tier's work).  Atomic, as no lock is held; its path
 * counter stops MAX_CPUS short of the saturation value, so that racing
 * CPUs never wrap it.  The call itself is counted by its CPU alone and
 * added to vn_sysinfo.syscalls at that CPU's next timer tick, or when it
 * next takes the big lock (syscall_count_nolock): a shared counter written on every call made two
 * CPUs' null calls slower than one CPU's. */
static inline void syscall_account_nolock(uint64_t num)
{
    struct vn_sysinfo *si = sysinfo;    /* set at boot, before any environment */
    uint16_t *p = &si->paths[num - VN_SYSCALL_BASE][0];
    if (__atomic_load_n(p, __ATOMIC_RELAXED) < 0xffff - SYSCALL_NOLOCK_CPUS)
        __atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

/* Add n calls of the lock-free tiers to vn_sysinfo.syscalls. */
static inline void syscall_count_nolock(uint64_t n)
{
    if (sysinfo)
        __atomic_fetch_add(&sysinfo->syscalls, n, __ATOMIC_RELAXED);
}

/* What a call run in the shared tier (klock.h) returns, before it changes
 * anything, when it needs the big lock: it is run again under it.  Never
 * seen by user mode, never counted. */
#define SYSCALL_EXCLUSIVE (-0x7fffl)

extern const char *const syscall_names[];
extern const unsigned syscall_names_count;
/* Per call (number - VN_SYSCALL_BASE), non-zero: it may take the fast
 * path (a "fast:" line of syscalls.tbl; generated); 2: and first the
 * shared tier (a "shared:" line). */
extern const uint8_t syscall_fast[];
extern const unsigned syscall_fast_count;
/* Per call (number - VN_SYSCALL_BASE), bit k set: the call may return -k
 * (its errors column in syscalls.tbl; generated). */
extern const uint64_t syscall_errmask[];

#endif
