/* Kernel bugs stop the machine; user mistakes never reach here. */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdint.h>

/* Print the reason and a symbolized backtrace, then stop QEMU with the
 * panic exit code (or halt on real hardware). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print a backtrace starting from frame pointer rbp. */
void backtrace_print(uint64_t rbp);
/* Name of the function containing addr and the offset into it. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#define assert(c) \
    do { if (!(c)) panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__); } while (0)

#endif
