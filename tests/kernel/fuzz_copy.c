/*
 * The fuzzing kernel's check of user copies (VENEER_FUZZ; the hook in
 * kernel/fuzz.h, called by user_copy.c): after a successful copy, every
 * page of the range must be one the environment could read itself (write,
 * for a copy to user), as the machine layer judges it
 * (arch_user_can_access).  A user pointer that lets the kernel touch
 * anything else, such as a supervisor-only table or frame reached through
 * the page-table window, is a hole.
 */
#ifdef VENEER_FUZZ
#include <veneer/memlayout.h>
#include "arch.h"
#include "fuzz.h"
#include "panic.h"

void fuzz_user_copy_check(void *dst, const void *src, size_t len, long r)
{
    bool to_user = (uint64_t)dst < USER_TOP;
    uint64_t u = to_user ? (uint64_t)dst : (uint64_t)src;
    for (uint64_t va = u & ~(PAGE_SIZE - 1); r == 0 && arch_curenv() && va < u + len; va += PAGE_SIZE)
        if (!arch_user_can_access(va, to_user))
            panic("user_copy: kernel touched [%lx, %lx) the user cannot (%s, page %lx)", u, u + len,
                  to_user ? "write" : "read", va);
}
#endif
