/*
 * Syscall accounting: outcome counters per (syscall, result) in the
 * exposed system info page, which the fuzzer reads as cheap coverage
 * feedback.  Fuzzing builds also check each result against the call's
 * errors column (tests/kernel/fuzz_trace.c, through kernel/fuzz.h).
 * Calls of the shared tier (klock.h) count into their CPU's own table,
 * added to the exposed one at that CPU's timer tick or when it next takes
 * the big lock (trap.c, counts_fold): a line of the shared
 * page written by every call made CPUs working apart slower together.
 */
#include "fuzz.h"
#include "klock.h"
#include "page_meta.h"
#include "syscall.h"
#include <veneer/syscall_nums.h>

struct syscall_pending_rows syscall_pending_rows[SYSCALL_SHARED_CPUS];
static struct {
    uint16_t n[VN_PATH_SYSCALLS][VN_PATH_RESULTS];
} __attribute__((aligned(64))) pending[SYSCALL_SHARED_CPUS];

/* Add n to a saturating exposed counter; atomic, as ticks fold from any
 * CPU without a lock. */
static void path_add(uint16_t *p, uint32_t n)
{
    uint16_t old = __atomic_load_n(p, __ATOMIC_RELAXED), sum;
    do
        sum = (uint16_t)(old + n > 0xffff - SYSCALL_NOLOCK_CPUS ? 0xffff - SYSCALL_NOLOCK_CPUS : old + n);
    while (sum > old && !__atomic_compare_exchange_n(p, &old, sum, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

void syscall_account(uint64_t num, long result, bool count)
{
    syscall_traced_result(num, result);
    if (!sysinfo)
        return;
    uint64_t col = result >= 0 ? 0 : (uint64_t)-result;
    num -= VN_SYSCALL_BASE;
    if (num >= VN_PATH_SYSCALLS || col >= VN_PATH_RESULTS)
        return;
    if (count) {
        __atomic_fetch_add(&sysinfo->syscalls, 1, __ATOMIC_RELAXED);
        uint16_t *p = &sysinfo->paths[num][col];    /* as syscall_account_nolock */
        if (__atomic_load_n(p, __ATOMIC_RELAXED) < 0xffff - SYSCALL_NOLOCK_CPUS)
            __atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
    } else if (cpu_id() < SYSCALL_SHARED_CPUS) {
        unsigned me = cpu_id();
        syscall_pending_rows[me].rows |= 1ul << num;
        if (++pending[me].n[num][col] == 0xffff) {  /* a tick is late: fold this one now */
            path_add(&sysinfo->paths[num][col], 0xffff);
            pending[me].n[num][col] = 0;
        }
    }
}

void syscall_fold_paths_now(void)
{
    unsigned me = cpu_id();
    for (uint64_t rows = syscall_pending_rows[me].rows; rows; rows &= rows - 1) {
        unsigned r = (unsigned)__builtin_ctzll(rows);
        for (unsigned c = 0; c < VN_PATH_RESULTS; c++) {
            if (pending[me].n[r][c])
                path_add(&sysinfo->paths[r][c], pending[me].n[r][c]);
            pending[me].n[r][c] = 0;
        }
    }
    syscall_pending_rows[me].rows = 0;
}
