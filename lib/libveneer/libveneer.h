/*
 * The minimal libOS runtime every Veneer-native program links with:
 * console output, exit, and the freestanding string functions.
 */
#ifndef LIBVENEER_H
#define LIBVENEER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <veneer/syscall.h>
#include <veneer/memlayout.h>

/* Leave the environment with status; never returns. */
void vn_exit(int status) __attribute__((noreturn));
/* printf subset (%d %u %x %lx %p %s %c, widths, 0-padding, %#x) to the console; returns bytes written. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int puts(const char *s);
/* Message for a (negative) E_* code. */
const char *vn_strerror(long err);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
void *memmove(void *d, const void *s, size_t n);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int atoi(const char *s);

#endif
