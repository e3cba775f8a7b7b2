/*
 * Checked copies between kernel and user memory.  The range check is done
 * here; missing or read-only pages are caught by the fault fixup in
 * arch_copy_user, so a concurrent unmap can never crash the kernel.
 * Fuzzing builds check every successful copy (tests/kernel/fuzz_copy.c).
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "arch.h"
#include "fuzz.h"
#include "user_copy.h"

_Static_assert(E_FAULT == 2, "arch/x86_64/user_copy.S hard-codes E_FAULT");

/* The one way into arch_copy_user; fuzzing builds check what it touched. */
static long user_copy(void *dst, const void *src, size_t len)
{
    long r = arch_copy_user(dst, src, len);
    fuzz_user_copy_check(dst, src, len, r);
    return r;
}

bool user_range_ok(uint64_t uptr, size_t len)
{
    /* Below USER_TOP and clear of PML4 slots 253-254: through the
     * recursive UVPT entry the kernel (which ignores the user bit) would
     * reach page tables and frames the program cannot read itself, and
     * the exposed pages are the kernel's to write. */
    if (uptr >= USER_TOP || len > USER_TOP - uptr)
        return false;
    uint64_t end = uptr + len;
    return end <= VN_EXPOSED_BASE || uptr >= VN_UVPT_END;
}

int copy_from_user(void *dst, uint64_t uptr, size_t len)
{
    if (!user_range_ok(uptr, len))
        return -E_FAULT;
    return (int)user_copy(dst, (const void *)uptr, len);
}

int copy_str_from_user(char *dst, uint64_t uptr, size_t max)
{
    dst[0] = 0;
    for (size_t i = 0; uptr && i + 1 < max; i++) {
        if (copy_from_user(&dst[i], uptr + i, 1) < 0)
            return -E_FAULT;
        if (!dst[i])
            return 0;
        dst[i + 1] = 0;
    }
    return 0;
}

int copy_to_user(uint64_t uptr, const void *src, size_t len)
{
    if (!user_range_ok(uptr, len))
        return -E_FAULT;
    return (int)user_copy((void *)uptr, src, len);
}
