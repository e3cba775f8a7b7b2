/*
 * For host tests of kernel code that prints: kprintf appends to `out`
 * (truncating at its end), so a test can check what the kernel would have
 * said.  Reset with outlen = 0, out[0] = 0.
 */
#ifndef TESTS_HOST_KPRINTF_CAPTURE_H
#define TESTS_HOST_KPRINTF_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>

static char out[1 << 16];
static size_t outlen;

void kprintf(const char *fmt, ...);
void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + outlen, sizeof(out) - outlen, fmt, ap);
    va_end(ap);
    if (n > 0)
        outlen = outlen + (size_t)n < sizeof(out) ? outlen + (size_t)n : sizeof(out) - 1;
}

#endif
