/*
 * Syscall accounting: outcome counters per (syscall, result) in the
 * exposed system info page, which the fuzzer reads as cheap coverage
 * feedback.  Fuzzing builds also check each result against the call's
 * errors column (tests/kernel/fuzz_trace.c, through kernel/fuzz.h).
 */
#include "fuzz.h"
#include "page_meta.h"
#include "syscall.h"
#include <veneer/syscall_nums.h>

void syscall_account(uint64_t num, long result)
{
    syscall_traced_result(num, result);
    if (!sysinfo)
        return;
    __atomic_fetch_add(&sysinfo->syscalls, 1, __ATOMIC_RELAXED);  /* the lock-free tier counts too */
    uint64_t col = result >= 0 ? 0 : (uint64_t)-result;
    num -= VN_SYSCALL_BASE;
    if (num < VN_PATH_SYSCALLS && col < VN_PATH_RESULTS && sysinfo->paths[num][col] != 0xffff)
        sysinfo->paths[num][col]++;
}
