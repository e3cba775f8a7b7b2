/*
 * The fuzzing kernel's oracle: the hooks through which the kernel tells
 * the checks of a VENEER_FUZZ build what it is doing.  The checks are
 * tests, not kernel, and live in tests/kernel/fuzz_*.c: the invariant
 * audit (fuzz_audit.c), the syscall ring and errors-column check
 * (fuzz_trace.c), the kernel lock's bounds (fuzz_lock.c) and the user
 * copy check (fuzz_copy.c); docs/architecture.md says what each panics
 * on.  In every other build each hook is an empty inline function.
 */
#ifndef KERNEL_FUZZ_H
#define KERNEL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct env;

#ifdef VENEER_FUZZ
/* Boot: the audit's scratch space (before the leak baseline is taken). */
void audit_init(void);
/* Check the invariants that tie capabilities, bindings, page records and
 * page tables together; panics with the broken one. */
void kernel_audit(void);
/* How many audits have passed. */
uint64_t kernel_audits_passed(void);

/* Syscall num is entered with arguments a[0..5]: the ring panics print,
 * the current environment's pending call, an audit every so often. */
void syscall_trace(uint64_t num, const uint64_t a[6]);
/* Syscall num returned result straight away: check it against its
 * errors column (panics on an error the column does not list). */
void syscall_traced_result(uint64_t num, long result);
/* e is about to run: if its last syscall slept or gave the CPU away,
 * check the result it resumes with the same way. */
void syscall_check_resume(struct env *e);
/* Name of the last syscall CPU cpu entered. */
const char *syscall_trace_current(unsigned cpu);
/* Print the most recent calls (from panic). */
void syscall_trace_dump(void);

/* The kernel lock was taken; a waiter since TSC `since` for the lock
 * that CPU holder holds is about to halt; the lock is being released. */
void fuzz_lock_taken(void);
void fuzz_lock_waiting(uint64_t since, int holder);
void fuzz_lock_releasing(void);

/* A copy between dst and src (one of them user memory) ended with r (0:
 * it succeeded): panics if it touched a page the user could not. */
void fuzz_user_copy_check(void *dst, const void *src, size_t len, long r);
#else
static inline void audit_init(void) {}
static inline void kernel_audit(void) {}
static inline uint64_t kernel_audits_passed(void) { return 0; }
static inline void syscall_trace(uint64_t num, const uint64_t a[6]) { (void)num; (void)a; }
static inline void syscall_traced_result(uint64_t num, long result) { (void)num; (void)result; }
static inline void syscall_check_resume(struct env *e) { (void)e; }
static inline void syscall_trace_dump(void) {}
static inline void fuzz_lock_taken(void) {}
static inline void fuzz_lock_waiting(uint64_t since, int holder) { (void)since; (void)holder; }
static inline void fuzz_lock_releasing(void) {}
static inline void fuzz_user_copy_check(void *dst, const void *src, size_t len, long r)
{
    (void)dst, (void)src, (void)len, (void)r;
}
#endif

#endif
