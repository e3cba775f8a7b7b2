/* System-call dispatch; the table itself is generated from syscalls.tbl. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>

/* Run syscall num with arguments a[0..5]; returns the value for rax. */
long syscall_dispatch(uint64_t num, const uint64_t a[6]);

/* Count the outcome of syscall num in the exposed path counters (fuzzing
 * builds: and check it against the call's errors column). */
void syscall_account(uint64_t num, long result);
/* Fuzzing builds: remember the call in the per-CPU ring printed by panics
 * (and, for the errors check, as the current environment's pending call)
 * and audit the kernel's invariants now and then.  No-op otherwise. */
#ifdef VENEER_FUZZ
void syscall_trace(uint64_t num, const uint64_t a[6]);
/* Name of the last syscall CPU cpu entered (for the lock bounds). */
const char *syscall_trace_current(unsigned cpu);
#else
static inline void syscall_trace(uint64_t num, const uint64_t a[6])
{
    (void)num;
    (void)a;
}
#endif
/* Fuzzing builds: e is about to run.  If it last entered the kernel with a
 * syscall that did not return straight away (it slept, yielded or handed
 * its slice on), check the result it resumes with against the call's
 * errors column, as syscall_account does for calls that return at once;
 * either panics on an error the column does not list.  No-op otherwise. */
struct env;
#ifdef VENEER_FUZZ
void syscall_check_resume(struct env *e);
#else
static inline void syscall_check_resume(struct env *e)
{
    (void)e;
}
#endif
/* Print the most recent calls (fuzzing builds). */
void syscall_trace_dump(void);

extern const char *const syscall_names[];
extern const unsigned syscall_names_count;
/* Per call (number - VN_SYSCALL_BASE), non-zero: it may take the fast
 * path (a "fast:" line of syscalls.tbl; generated). */
extern const uint8_t syscall_fast[];
extern const unsigned syscall_fast_count;
/* Per call (number - VN_SYSCALL_BASE), bit k set: the call may return -k
 * (its errors column in syscalls.tbl; generated). */
extern const uint64_t syscall_errmask[];

#endif
