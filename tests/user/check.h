/* Tiny assertion helpers for in-QEMU test programs. */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <libveneer.h>
#include <vn.h>

static int check_failures;

#define CHECK(cond) \
    do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); check_failures++; } } while (0)
/* Expect a syscall result r to equal want (a value or -E_*). */
#define CHECK_EQ(r, want) \
    do { long r_ = (long)(r), w_ = (long)(want); \
         if (r_ != w_) { printf("FAIL %s:%d: %s = %ld (%s), want %ld\n", __FILE__, __LINE__, #r, r_, \
                                r_ < 0 ? vn_strerror(r_) : "ok", w_); check_failures++; } } while (0)

static inline int check_done(const char *name)
{
    if (check_failures) {
        printf("%s: %d checks FAILED\n", name, check_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

/* Leak check: pages that left the free pool since (free0, held0) and are
 * not charged to this environment, once the children are gone.  Binding
 * records come from a shared slab charged per 64 records, so this may be
 * off by a few pages (one per environment whose records share a slab page); the kernel's own check at shutdown is exact. */
#define SLAB_SLACK 4
static inline long labs(long v)
{
    return v < 0 ? -v : v;
}

static inline long pages_unaccounted(uint64_t free0, uint64_t held0)
{
    return (long)(free0 - vn_sysinfo->free_pages) - (long)(vn_envinfo->held - held0);
}

/* Guest instruction counter: under QEMU -icount shift=0 rdtsc advances
 * exactly once per instruction. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#endif
