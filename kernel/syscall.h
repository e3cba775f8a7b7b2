/* System-call dispatch; the table itself is generated from syscalls.tbl. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>

/* Run syscall num with arguments a[0..5]; returns the value for rax. */
long syscall_dispatch(uint64_t num, const uint64_t a[6]);

/* Count the outcome of syscall num in the exposed path counters (fuzzing
 * builds: and check it against the call's errors column). */
void syscall_account(uint64_t num, long result);

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
