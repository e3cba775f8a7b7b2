/*
 * Console output for Veneer-native programs: a small vsnprintf and
 * printf/puts on top of the cons_write syscall.
 */
#include "libveneer.h"

static void emit(char *buf, size_t n, size_t *pos, char c)
{
    if (*pos + 1 < n)
        buf[*pos] = c;
    (*pos)++;
}

static void emit_uint(char *buf, size_t n, size_t *pos, uint64_t v, unsigned base, int width, char pad)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    for (int i = k; i < width; i++)
        emit(buf, n, pos, pad);
    while (k)
        emit(buf, n, pos, tmp[--k]);
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    size_t pos = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(buf, n, &pos, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0, alt = 0;
        if (*fmt == '#')
            alt = 1, fmt++;
        if (*fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z')
            lng = 1, fmt++;
        switch (*fmt) {
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            if (v < 0) {
                emit(buf, n, &pos, '-');
                emit_uint(buf, n, &pos, (uint64_t)0 - (uint64_t)v, 10, width, pad);
            } else {
                emit_uint(buf, n, &pos, (uint64_t)v, 10, width, pad);
            }
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            if (alt && v && *fmt == 'x') {
                emit(buf, n, &pos, '0');
                emit(buf, n, &pos, 'x');
            }
            emit_uint(buf, n, &pos, v, *fmt == 'u' ? 10 : 16, width, pad);
            break;
        }
        case 'p':
            emit(buf, n, &pos, '0');
            emit(buf, n, &pos, 'x');
            emit_uint(buf, n, &pos, (uint64_t)va_arg(ap, void *), 16, width, pad);
            break;
        case 's':
            for (const char *s = va_arg(ap, const char *); s && *s; s++)
                emit(buf, n, &pos, *s);
            break;
        case 'c':
            emit(buf, n, &pos, (char)va_arg(ap, int));
            break;
        case '%':
            emit(buf, n, &pos, '%');
            break;
        default:
            if (!*fmt)
                fmt--;
        }
    }
    if (n)
        buf[pos < n ? pos : n - 1] = 0;
    return (int)pos;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    size_t len = (size_t)r < sizeof(buf) ? (size_t)r : sizeof(buf) - 1;
    vn_cons_write(buf, len);
    return (int)len;
}

int puts(const char *s)
{
    vn_cons_write(s, strlen(s));
    vn_cons_write("\n", 1);
    return 0;
}

void vn_exit(int status)
{
    for (;;)
        vn_env_exit(status);
}
