/*
 * vlibc's stdio: stdout and stderr are the console (libveneer's
 * vsnprintf and vn_cons_write), formatted with libveneer's printf subset.
 * There are no files in a native program: fopen fails with ENOENT.
 * sscanf knows the conversions lib/fs and libext2fs use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <veneer/syscall.h>

struct _IO_FILE { int fd; };
static FILE vl_out = {1}, vl_err = {2};
FILE *const stdout = &vl_out;
FILE *const stderr = &vl_err;

static int vl_emit(const char *s, size_t n)
{
    size_t done = 0;
    while (done < n) {
        long w = vn_cons_write(s + done, n - done);
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return (int)n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    (void)f;
    if (n < 0)
        return n;
    return vl_emit(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, 4096, fmt, ap);
    va_end(ap);
    return n;
}

int fputs(const char *s, FILE *f)
{
    (void)f;
    return vl_emit(s, strlen(s));
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    (void)f;
    return vl_emit(&ch, 1) < 0 ? EOF : (unsigned char)c;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    (void)f;
    return size && vl_emit(p, size * n) >= 0 ? n : 0;
}

int fflush(FILE *f)
{
    (void)f;
    return 0;
}

void perror(const char *s)
{
    fprintf(stderr, "%s: error %d\n", s ? s : "", errno);
}

FILE *fopen(const char *path, const char *mode)
{
    (void)path;
    (void)mode;
    errno = ENOENT;
    return NULL;
}

int fclose(FILE *f)
{
    (void)f;
    return 0;
}

char *fgets(char *s, int n, FILE *f)
{
    (void)s;
    (void)n;
    (void)f;
    return NULL;
}

int feof(FILE *f)
{
    (void)f;
    return 1;
}

int fileno(FILE *f)
{
    return f->fd;
}

/* sscanf's subset: literal characters, white space, and the integer
 * conversions %d %u %x %p (with h, l, ll, z modifiers) and %s.  Returns
 * the conversions made, or EOF if the input ended before the first. */
int sscanf(const char *s, const char *fmt, ...)
{
    va_list ap;
    int n = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt == ' ') {
            while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
            continue;
        }
        if (*fmt != '%' || fmt[1] == '%') {
            if (*fmt == '%')
                fmt++;
            if (*s != *fmt)
                break;
            s++;
            continue;
        }
        int size = 0;                   /* 0 int, 1 long, -1 short */
        for (fmt++; *fmt == 'l' || *fmt == 'h' || *fmt == 'z'; fmt++)
            size = *fmt == 'h' ? -1 : 1;
        if (!*s) {
            if (n == 0)
                n = EOF;
            break;
        }
        if (*fmt == 's') {
            char *d = va_arg(ap, char *);
            while (*s && *s != ' ' && *s != '\t' && *s != '\n')
                *d++ = *s++;
            *d = 0;
            n++;
            continue;
        }
        int base = *fmt == 'x' || *fmt == 'p' ? 16 : 10;
        if (*fmt != 'd' && *fmt != 'u' && *fmt != 'x' && *fmt != 'p' && *fmt != 'i')
            break;
        char *end;
        unsigned long long v = strtoull(s, &end, *fmt == 'i' ? 0 : base);
        if (end == s)
            break;
        s = end;
        if (*fmt == 'p')
            *va_arg(ap, void **) = (void *)(uintptr_t)v;
        else if (size > 0)
            *va_arg(ap, unsigned long *) = (unsigned long)v;
        else if (size < 0)
            *va_arg(ap, unsigned short *) = (unsigned short)v;
        else
            *va_arg(ap, unsigned *) = (unsigned)v;
        n++;
    }
    va_end(ap);
    return n;
}
