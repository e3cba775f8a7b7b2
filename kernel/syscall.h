/* System-call dispatch; the table itself is generated from syscalls.tbl. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>

/* Run syscall num with arguments a[0..5]; returns the value for rax. */
long syscall_dispatch(uint64_t num, const uint64_t a[6]);

extern const char *const syscall_names[];
extern const unsigned syscall_names_count;

#endif
