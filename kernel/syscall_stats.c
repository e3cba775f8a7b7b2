/*
 * Syscall accounting.  Always: outcome counters per (syscall, result) in
 * the exposed system info page, which the fuzzer reads as cheap coverage
 * feedback.  In fuzzing builds (VENEER_FUZZ): a ring of the last calls,
 * printed by panic(), and a periodic audit of the kernel's invariants.
 */
#include <veneer/env.h>
#include "audit.h"
#include "console.h"
#include "page_meta.h"
#include "syscall.h"
#include <veneer/syscall_nums.h>

void syscall_account(uint64_t num, long result)
{
    if (!sysinfo)
        return;
    sysinfo->syscalls++;
    uint64_t col = result >= 0 ? 0 : (uint64_t)-result;
    num -= VN_SYSCALL_BASE;
    if (num < VN_PATH_SYSCALLS && col < VN_PATH_RESULTS && sysinfo->paths[num][col] != 0xffff)
        sysinfo->paths[num][col]++;
}

#ifdef VENEER_FUZZ
#define TRACE_LEN 16
#define AUDIT_EVERY 2048

static struct {
    uint64_t num, a[6];
} trace[TRACE_LEN];
static uint64_t trace_next;

void syscall_trace(uint64_t num, const uint64_t a[6])
{
    trace[trace_next % TRACE_LEN].num = num;
    for (int i = 0; i < 6; i++)
        trace[trace_next % TRACE_LEN].a[i] = a[i];
    if (++trace_next % AUDIT_EVERY == 0)
        kernel_audit();
}

void syscall_trace_dump(void)
{
    kprintf("  last %d syscalls, oldest first:\n", TRACE_LEN);
    for (uint64_t i = trace_next > TRACE_LEN ? trace_next - TRACE_LEN : 0; i < trace_next; i++) {
        uint64_t n = trace[i % TRACE_LEN].num - VN_SYSCALL_BASE;
        const uint64_t *a = trace[i % TRACE_LEN].a;
        kprintf("    %s(%lx, %lx, %lx, %lx, %lx, %lx)\n", n < syscall_names_count ? syscall_names[n] : "?", a[0],
                a[1], a[2], a[3], a[4], a[5]);
    }
}
#else
void syscall_trace_dump(void)
{
}
#endif
