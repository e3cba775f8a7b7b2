/*
 * vlibc's string and number functions beyond libveneer's (which has
 * mem*, strlen, strcmp, strncmp, strchr, atoi), and qsort.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void *memchr(const void *p, int c, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        if (s[i] == (unsigned char)c)
            return (void *)(s + i);
    return NULL;
}

char *strcpy(char *d, const char *s)
{
    char *r = d;
    while ((*d++ = *s++))
        ;
    return r;
}

char *stpcpy(char *d, const char *s)
{
    while ((*d = *s++))
        d++;
    return d;
}

char *strncpy(char *d, const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i]; i++)
        d[i] = s[i];
    for (; i < n; i++)
        d[i] = 0;
    return d;
}

char *strcat(char *d, const char *s)
{
    strcpy(d + strlen(d), s);
    return d;
}

size_t strnlen(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i])
        i++;
    return i;
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

char *strrchr(const char *s, int c)
{
    const char *r = NULL;
    do
        if (*s == (char)c)
            r = s;
    while (*s++);
    return (char *)r;
}

/* strtoull's digits; base 0 takes 0x / 0 prefixes.  Overflow saturates
 * with ERANGE. */
unsigned long long strtoull(const char *s, char **end, int base)
{
    const char *p = s;
    unsigned long long v = 0;
    int neg = 0, any = 0, over = 0;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    for (;; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'z' ? *p - 'a' + 10
              : *p >= 'A' && *p <= 'Z' ? *p - 'A' + 10 : 99;
        if (d >= base)
            break;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            over = 1;
        v = v * (unsigned)base + (unsigned)d;
        any = 1;
    }
    if (end)
        *end = (char *)(any ? p : s);
    if (over) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return neg ? -v : v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    return strtoull(s, end, base);
}

static void swap_bytes(char *a, char *b, size_t n)
{
    while (n--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void sift(char *base, size_t i, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && cmp(base + c * size, base + (c + 1) * size) < 0)
            c++;
        if (cmp(base + i * size, base + c * size) >= 0)
            return;
        swap_bytes(base + i * size, base + c * size, size);
        i = c;
    }
}

/* Heapsort: no recursion, no allocation, O(n log n) always. */
void qsort(void *b, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *base = b;
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift(base, i, n, size, cmp);
    for (size_t k = n - 1; k > 0; k--) {
        swap_bytes(base, base + k * size, size);
        sift(base, 0, k, size, cmp);
    }
}
