/*
 * kprintf: formatted output to the kernel console.  Supports the subset of
 * printf the kernel uses: flags '0' and '-', a width, the l/ll/z length
 * modifiers and conversions d i u x s %.
 */
#include "console.h"
#include "klib.h"

void console_write(const char *s, unsigned long len)
{
    for (unsigned long i = 0; i < len; i++)
        arch_console_putc(s[i]);
}

static void put_padded(const char *s, int len, int width, int left, char padc)
{
    if (!left)
        for (int i = len; i < width; i++)
            arch_console_putc(padc);
    console_write(s, (unsigned long)len);
    if (left)
        for (int i = len; i < width; i++)
            arch_console_putc(' ');
}

static int format_uint(char *buf, uint64_t v, unsigned base)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

void kvprintf(const char *fmt, va_list ap)
{
    char buf[32];
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            arch_console_putc(*fmt);
            continue;
        }
        fmt++;
        int left = 0, width = 0, lng = 0;
        char padc = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                padc = '0';
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z')
            lng++, fmt++;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            buf[0] = '-';
            int n = v < 0 ? 1 + format_uint(buf + 1, (uint64_t)0 - (uint64_t)v, 10) : format_uint(buf, (uint64_t)v, 10);
            put_padded(buf, n, width, left, padc);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            put_padded(buf, format_uint(buf, v, *fmt == 'u' ? 10 : 16), width, left, padc);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put_padded(s, (int)strlen(s), width, left, ' ');
            break;
        }
        case '%':
            arch_console_putc('%');
            break;
        default:
            arch_console_putc('%');
            if (*fmt)
                arch_console_putc(*fmt);
            else
                fmt--;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}
