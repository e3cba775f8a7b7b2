/*
 * The fuzzing kernel's syscall trace (VENEER_FUZZ; hooks in kernel/fuzz.h):
 * a ring of the last calls and the last call of each CPU, printed by
 * panic(); a periodic audit of the kernel's invariants (fuzz_audit.c);
 * and the errors-column check: every error a call returns, straight away
 * or when the environment resumes after the call slept, must be listed in
 * its row of syscalls.tbl (syscall_errmask[]), else the kernel panics.
 * It also panics when an environment enters a syscall on a CPU other than
 * the one it runs on.
 */
#ifdef VENEER_FUZZ
#include <veneer/errors.h>
#include "console.h"
#include "env.h"
#include "fuzz.h"
#include "klock.h"
#include "panic.h"
#include "syscall.h"
#include <veneer/syscall_nums.h>

#define TRACE_LEN 16
#define AUDIT_EVERY 2048

static struct {
    uint64_t num, a[6];
} trace[TRACE_LEN];
static uint64_t trace_next;
static bool audit_due;      /* a multiple of AUDIT_EVERY passed in the shared tier */
static struct {
    uint64_t num, a[6];
} trace_cpu[64];                        /* the last syscall each CPU entered */

/* The call each environment (by slot) is in, from entry until its result
 * is checked: when the handler returns or, for one that slept or gave the
 * CPU away, when the environment next runs. */
static struct {
    envid_t id;
    uint64_t num;
} pending[NENV];

static const char *trace_name(uint64_t num)
{
    uint64_t n = num - VN_SYSCALL_BASE;
    return n < syscall_names_count ? syscall_names[n] : "?";
}

const char *syscall_trace_current(unsigned cpu)
{
    return trace_name(trace_cpu[cpu % 64].num);
}

static const char *const err_names[] = {
#define ERR(name, value, msg) [value] = #name,
#include <veneer/errors.def>
#undef ERR
};

/* Panic if result r of call num is an error its errors column does not
 * list (a number outside the table may only give -E_NOSYS). */
static void check_result(uint64_t num, long r, const char *when)
{
    uint64_t i = num - VN_SYSCALL_BASE, code = -(uint64_t)r;
    if (r >= 0 || (i < SYS_COUNT ? code < 64 && (syscall_errmask[i] >> code & 1) : r == -E_NOSYS))
        return;
    const char *err = code < sizeof(err_names) / sizeof(err_names[0]) ? err_names[code] : NULL;
    if (i >= SYS_COUNT)
        panic("syscall %lu (not in the table) returned %ld, not -E_NOSYS%s", num, r, when);
    if (err)
        panic("syscall %s returned %s, not in its errors column%s", syscall_names[i], err, when);
    panic("syscall %s returned %ld, not an error code%s", syscall_names[i], r, when);
}

void syscall_traced_result(uint64_t num, long result)
{
    check_result(num, result, "");
    struct env *e = arch_curenv();
    if (e)
        pending[e - envs].id = 0;
}

void syscall_check_resume(struct env *e)
{
    if (pending[e - envs].id != e->id)
        return;     /* none, or one of a dead environment that had this slot */
    pending[e - envs].id = 0;
    check_result(pending[e - envs].num, arch_context_get_return(&e->tf), " (the result it resumed with)");
}

void syscall_trace(uint64_t num, const uint64_t a[6])
{
    /* An environment runs on one CPU at a time: the one it entered from. */
    struct env *e = arch_curenv();
    if (e->cpu != (int)cpu_id())
        panic("FUZZ: env %x (%s) entered %s on cpu %u while it runs on cpu %d", e->id, e->name, trace_name(num),
              cpu_id(), e->cpu);
    pending[e - envs].id = e->id;
    pending[e - envs].num = num;
    trace_cpu[cpu_id() % 64].num = num;
    for (int i = 0; i < 6; i++)
        trace_cpu[cpu_id() % 64].a[i] = a[i];
    /* Shared-tier calls run on several CPUs at once (klock.h): each takes
     * its own entry, and the audit, which reads everything, waits for a
     * call under the big lock. */
    uint64_t n = __atomic_fetch_add(&trace_next, 1, __ATOMIC_RELAXED);
    trace[n % TRACE_LEN].num = num;
    for (int i = 0; i < 6; i++)
        trace[n % TRACE_LEN].a[i] = a[i];
    if ((n + 1) % AUDIT_EVERY == 0)
        audit_due = true;
    if (audit_due && !kernel_shared_held()) {
        audit_due = false;
        kernel_audit();
    }
}

void syscall_trace_dump(void)
{
    kprintf("  last %d syscalls, oldest first:\n", TRACE_LEN);
    for (uint64_t i = trace_next > TRACE_LEN ? trace_next - TRACE_LEN : 0; i < trace_next; i++) {
        const uint64_t *a = trace[i % TRACE_LEN].a;
        kprintf("    %s(%lx, %lx, %lx, %lx, %lx, %lx)\n", trace_name(trace[i % TRACE_LEN].num), a[0], a[1], a[2],
                a[3], a[4], a[5]);
    }
    kprintf("  last syscall each CPU entered:\n");
    for (unsigned c = 0; c < cpu_count() && c < 64; c++) {
        const uint64_t *a = trace_cpu[c].a;
        kprintf("    cpu %u: %s(%lx, %lx, %lx, %lx, %lx, %lx)\n", c, trace_name(trace_cpu[c].num), a[0], a[1], a[2],
                a[3], a[4], a[5]);
    }
}
#endif
