/* Freestanding memory and string functions for Veneer-native programs. */
#include "libveneer.h"

/* String instructions, eight bytes at a time where both ends allow it. */
void *memset(void *d, int c, size_t n)
{
    void *p = d;
    if (((uintptr_t)d | n) % 8 == 0) {
        uint64_t q = n / 8, v = (uint8_t)c * 0x0101010101010101ul;
        __asm__ volatile("rep stosq" : "+D"(p), "+c"(q) : "a"(v) : "memory");
        return d;
    }
    __asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    void *dp = d;
    if (((uintptr_t)d | (uintptr_t)s | n) % 8 == 0) {
        uint64_t q = n / 8;
        __asm__ volatile("rep movsq" : "+D"(dp), "+S"(s), "+c"(q) : : "memory");
        return d;
    }
    __asm__ volatile("rep movsb" : "+D"(dp), "+S"(s), "+c"(n) : : "memory");
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

/* Overlapping ranges byte by byte, forwards or backwards as d lies. */
void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp + n <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    if (dp < sp)
        for (size_t i = 0; i < n; i++)
            dp[i] = sp[i];
    else
        while (n--)
            dp[n] = sp[n];
    return d;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++)
        if (*a != *b || !*a)
            return (unsigned char)*a - (unsigned char)*b;
    return 0;
}

/* The terminating NUL counts as part of the string (strchr(s, 0) finds it). */
char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

/* Leading blanks, an optional sign, decimal digits; wraps on overflow. */
int atoi(const char *s)
{
    int neg = 0;
    unsigned v = 0;
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned)(*s++ - '0');
    return (int)(neg ? 0u - v : v);
}
