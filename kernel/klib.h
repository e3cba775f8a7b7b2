/* Freestanding helpers: memory and string functions, small macros. */
#ifndef KERNEL_KLIB_H
#define KERNEL_KLIB_H

#include "types.h"

#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define ROUND_UP(x, a)    (((x) + (a) - 1) / (a) * (a))
#define ROUND_DOWN(x, a)  ((x) / (a) * (a))
#define MIN(a, b)         ((a) < (b) ? (a) : (b))
#define MAX(a, b)         ((a) > (b) ? (a) : (b))

/* Unlink item from the singly linked list at *head, through its field
 * `next`; item must be on the list. */
#define SLIST_UNLINK(head, item, next)                      \
    do {                                                    \
        __typeof__(item) *pp_ = (head);                     \
        while (*pp_ != (item))                              \
            pp_ = &(*pp_)->next;                            \
        *pp_ = (item)->next;                                \
    } while (0)

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
