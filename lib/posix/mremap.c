/*
 * mremap(2) on the libOS's page registry (mm.c).  Shrinking unmaps the
 * tail (and gives the newest mapping's tail back to the address space).  Growing stays in place when the mapping is the last one made
 * (nothing follows it but unclaimed address space), else it moves when
 * MREMAP_MAYMOVE allows: each page's capability is moved to the new
 * address with its rights and state (copy-on-write, shared, archive),
 * so no byte is copied, and the added pages are fresh zero pages with the
 * rights of the mapping's last page (none when it is PROT_NONE: the
 * rest is then a reservation, as mmap makes one).  MREMAP_FIXED moves to new_addr,
 * replacing what was there.  Not served: MREMAP_DONTUNMAP (EINVAL).
 */
#include "posix.h"

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED   2
#define PGS(len) (((len) + PAGE_SIZE - 1) / PAGE_SIZE)

/* Every page of [va, va + n pages) is in the registry. */
static bool all_mapped(uint64_t va, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (!mm_mapped(va + i * PAGE_SIZE))
            return false;
    return true;
}

/* Move n pages from old to to (an empty range), then add fresh pages up
 * to total with the flags of the last page moved.  On a failure what was
 * moved goes back to old: -L_ENOMEM. */
static long move_pages(uint64_t old, uint64_t to, uint64_t n, uint64_t total)
{
    unsigned fl = PG_W;
    for (uint64_t i = 0; i < n; i++) {
        if (mm_move(old + i * PAGE_SIZE, to + i * PAGE_SIZE, &fl) < 0) {
            for (uint64_t j = 0; j < i; j++)
                mm_move(to + j * PAGE_SIZE, old + j * PAGE_SIZE, &fl);
            return -L_ENOMEM;
        }
    }
    if (total > n && !(fl & PG_NONE) && mm_map_fresh(to + n * PAGE_SIZE, total - n, fl & (PG_W | PG_X | PG_SHARED)) < 0) {
        mm_unmap(to + n * PAGE_SIZE, total - n);
        for (uint64_t j = 0; j < n; j++)
            mm_move(to + j * PAGE_SIZE, old + j * PAGE_SIZE, &fl);
        return -L_ENOMEM;
    }
    return (long)to;
}

/* mremap(old, old_len, new_len, flags, new_addr).  Errors: EINVAL (old
 * or new_addr unaligned, new_len 0, unknown flags, FIXED without
 * MAYMOVE, overlapping ranges, outside the program's part of the
 * address space), EFAULT (the old range is not all mapped), ENOMEM (it
 * cannot grow in place and may not move, or no memory).  On an error
 * nothing has changed. */
long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    if (old % PAGE_SIZE || !new_len || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
        return -L_EINVAL;
    uint64_t on = PGS(old_len), nn = PGS(new_len);
    if (!old_len || nn > (1ul << 24) || on > (1ul << 24) || !prog_range(old, on * PAGE_SIZE))
        return -L_EINVAL;               /* old_len 0 duplicates a shared mapping on Linux: not served */
    if (!all_mapped(old, on))
        return -L_EFAULT;
    if (flags & MREMAP_FIXED) {
        if (new_addr % PAGE_SIZE || !prog_range(new_addr, nn * PAGE_SIZE) ||
            (new_addr < old + on * PAGE_SIZE && old < new_addr + nn * PAGE_SIZE))
            return -L_EINVAL;
        mm_unmap(new_addr, nn);
        uint64_t keep = nn < on ? nn : on;
        long r = move_pages(old, new_addr, keep, nn);
        if (r >= 0)
            mm_unmap(old, on);          /* what did not fit */
        return r;
    }
    if (nn <= on) {
        mm_unmap(old + nn * PAGE_SIZE, on - nn);
        if (old + (on + 1) * PAGE_SIZE == me.mmap_next)
            me.mmap_next = old + (nn + 1) * PAGE_SIZE;     /* the newest mapping: it may grow back in place */
        return (long)old;
    }
    uint64_t end = old + on * PAGE_SIZE;
    if (end + PAGE_SIZE == me.mmap_next && prog_range(end, (nn - on + 1) * PAGE_SIZE)) {
        /* the newest mapping: the address space after it is unclaimed */
        unsigned fl = (unsigned)mm_page_flags(end - PAGE_SIZE);
        if (!(fl & PG_NONE) && mm_map_fresh(end, nn - on, fl & (PG_W | PG_X | PG_SHARED)) < 0) {
            mm_unmap(end, nn - on);
            return -L_ENOMEM;
        }
        me.mmap_next = end + (nn - on + 1) * PAGE_SIZE;
        return (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -L_ENOMEM;
    uint64_t to = me.mmap_next;
    if (!prog_range(to, nn * PAGE_SIZE))
        return -L_ENOMEM;
    long r = move_pages(old, to, on, nn);
    if (r >= 0)
        me.mmap_next += (nn + 1) * PAGE_SIZE;       /* a guard page between mappings, as mmap */
    return r;
}
