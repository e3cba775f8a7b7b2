/*
 * Kernel console: the arch layer provides a byte sink and source (COM1 on
 * x86_64); kprintf formats onto it.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdarg.h>

void arch_console_init(void);
void arch_console_putc(char c);
int arch_console_getc(void);

void console_write(const char *s, unsigned long len);
/* printf subset: %d %i %u %x %lx %llx %s %%, widths and 0-padding. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

#endif
