/*
 * Trap dispatch.  From user mode: a syscall goes to the generated dispatch
 * table; an exception is the environment's own business, delivered to its
 * exception upcall (or, without a usable handler, it is killed with one
 * log line); stray interrupts are ignored.  From kernel mode: a page fault on
 * a user-copy instruction is fixed up to return -E_FAULT; anything else is
 * a kernel bug and panics with the full register state.  Device interrupts
 * are noted in any mode and delivered by the next holder of the kernel
 * lock on an entry from user mode or return from idle (irq.c).
 */
#include "../../console.h"
#include "../../irq.h"
#include "../../panic.h"
#include "../../fuzz.h"
#include "../../ipc.h"
#include "../../syscall.h"
#include <veneer/memlayout.h>
#include <veneer/syscall_nums.h>
#include "../../klock.h"
#include "../../sched.h"
#include "tlb.h"
#include "x86.h"

struct extable_entry {
    uint64_t insn, fixup;
};
extern const struct extable_entry extable_start[], extable_end[];

static const char *const trap_names[32] = {
    [T_DIVIDE] = "divide error", [T_DEBUG] = "debug", [T_NMI] = "NMI",
    [T_BRKPT] = "breakpoint", [T_OFLOW] = "overflow", [T_BOUND] = "bound range",
    [T_ILLOP] = "invalid opcode", [T_DEVICE] = "device not available",
    [T_DBLFLT] = "double fault", [T_TSS] = "invalid TSS", [T_SEGNP] = "segment not present",
    [T_STACK] = "stack fault", [T_GPFLT] = "general protection", [T_PGFLT] = "page fault",
    [T_FPERR] = "x87 error", [T_ALIGN] = "alignment check", [T_MCHK] = "machine check",
    [T_SIMDERR] = "SIMD error",
};

static const char *trap_name(uint64_t n)
{
    return n < 32 && trap_names[n] ? trap_names[n] : "interrupt";
}

static void print_trapframe(const struct trapframe *tf)
{
    kprintf("  rip %016lx  cs %04lx  rflags %016lx  trap %lu (%s)  err %lx\n", tf->rip, tf->cs,
            tf->rflags, tf->trapno, trap_name(tf->trapno), tf->err);
    kprintf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
    kprintf("  rsi %016lx  rdi %016lx  rbp %016lx  rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
    kprintf("  r8  %016lx  r9  %016lx  r10 %016lx  r11 %016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
    kprintf("  r12 %016lx  r13 %016lx  r14 %016lx  r15 %016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
    kprintf("  cr2 %016lx  cr3 %016lx  cr4 %016lx\n", read_cr2(), read_cr3(), read_cr4());
}

static void kernel_trap(struct trapframe *tf)
{
    if (tf->trapno == T_PGFLT) {
        for (const struct extable_entry *x = extable_start; x < extable_end; x++) {
            if (x->insn == tf->rip) {
                tf->rip = x->fixup;
                return;
            }
        }
    }
    uint64_t off;
    const char *fn = ksym_lookup(tf->rip, &off);
    kprintf("\nkernel trap: %s\n", trap_name(tf->trapno));
    print_trapframe(tf);
    if (fn)
        kprintf("  rip is %s+0x%lx\n", fn, off);
    kprintf("  backtrace from the faulting frame:\n");
    backtrace_print(tf->rbp);
    panic("unhandled %s in kernel mode at %lx", trap_name(tf->trapno), tf->rip);
}

static void user_exception(struct env *e, struct trapframe *tf)
{
    uint64_t addr = tf->trapno == T_PGFLT ? read_cr2() : 0;
    if (env_upcall(e, UPCALL_EXCEPTION, tf->trapno, tf->err, addr))
        return;
    if (tf->trapno == T_PGFLT) {
        env_kill(e, "page fault (%s %s) at address %lx, rip %lx",
                 tf->err & 1 ? "protection" : "not-present", tf->err & 2 ? "write" : tf->err & 16 ? "exec" : "read",
                 addr, tf->rip);
    } else {
        env_kill(e, "%s (trap %lu, err %lx) at rip %lx", trap_name(tf->trapno), tf->trapno, tf->err, tf->rip);
    }
}

extern bool cpu_has_smap;

/* After a trap or syscall of e handled on the general path: back to e if
 * it still runs, else to the scheduler. */
static void __attribute__((noreturn)) finish(struct env *e)
{
    env_reap();
    if (e->status == ENV_RUNNING)
        env_run(e);
    sched_run();
}

/* Run the syscall in tf's registers (traced and counted, unless the
 * shared tier sends it to the big lock: a shared call is counted by its
 * CPU, into vn_sysinfo.syscalls at counts_fold). */
static inline __attribute__((always_inline)) long syscall_run(uint64_t num, const struct trapframe *tf, bool shared)
{
    uint64_t a[6] = {tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9};
    syscall_trace(num, a);
    long r = syscall_dispatch(num, a);
    if (r != SYSCALL_EXCLUSIVE)
        syscall_account(num, r, !shared);
    if (r != SYSCALL_EXCLUSIVE && shared)
        this_cpu()->nolock_calls++;
    return r;
}

/* Whether the fast path or a shared tier may serve e from tf: nothing is
 * due for it (its status, an upcall, a preemption, a revocation request,
 * environments to reap). */
static inline __attribute__((always_inline)) bool nothing_due(struct env *e, const struct trapframe *tf)
{
    return e && e->status == ENV_RUNNING && !e->revoke_upcall_due && !e->preempted &&
           !(e->info && e->info->revoke_request) && !env_reap_pending() && arch_context_fast_ok(e, tf);
}

/* The shared tier (klock.h) of a page fault: reflected to the libOS's
 * exception upcall without the big lock, as user_exception would, when
 * the upcall can take it.  Nothing else is touched but e's frame and its
 * upcall stack, so not even the space lock is needed.  Returns whether it
 * was delivered (trap_common returns into the upcall); false: the general
 * path, which also says why and kills when it cannot be. */
static bool fault_shared_tier(struct trapframe *tf)
{
    struct env *e = arch_curenv();
    if (!kernel_lock_shared())
        return false;
    bool done = nothing_due(e, tf) && env_upcall(e, UPCALL_EXCEPTION, T_PGFLT, tf->err, read_cr2());
    kernel_unlock_shared();
    return done;
}

/* Add this CPU's lock-free and shared-tier counts to the exposed ones, at
 * its timer tick and whenever it takes the big lock: they lag by the
 * calls since it last did either, and a program that stops calling (a
 * polling loop) sees the count stop too. */
static inline void counts_fold(void)
{
    struct percpu *c = this_cpu();
    if (c->nolock_calls) {
        syscall_count_nolock(c->nolock_calls);
        c->nolock_calls = 0;
    }
    syscall_fold_paths(c->id);
}

void trap_dispatch(struct trapframe *tf)
{
    if (cpu_has_smap)
        clac();     /* user RFLAGS.AC must not lift SMAP inside the kernel */
    /* Served without the kernel lock, from any mode; returns to the
     * interrupted code directly. */
    if (tf->trapno == VEC_SPURIOUS)
        return;
    /* Acknowledge interrupts at once: an un-acknowledged vector would hold
     * back kicks and shootdowns (same priority class) while we wait for
     * the kernel lock, and that wait may need a kick to end. */
    if (tf->trapno >= 32)
        lapic_eoi();
    bool device = irq_note((unsigned)tf->trapno);   /* delivered under the lock (irq.c) */
    if (tf->trapno == VEC_TIMER) {
        this_cpu()->ticks++;
        counts_fold();
    }
    if (tf->trapno == VEC_IPI_TLB) {
        tlb_serve();
        return;
    }
    if ((tf->cs & 3) == 0) {
        if (tf->trapno < 32)
            kernel_trap(tf);
        /* Interrupted in a halt (idle, the lock wait), which turns
         * interrupts off next: go back with them off already, or a level
         * pin re-sent after the EOI would re-enter here forever. */
        if (device)
            tf->rflags &= ~RFLAGS_IF;
        return;                     /* timer, kick or device while idle or waiting */
    }
    if (tf->trapno == T_PGFLT && fault_shared_tier(tf))
        return;
    kernel_lock();
    counts_fold();
    irq_deliver_pending();
    struct env *e = arch_curenv();
    if (!e)
        panic("trap_dispatch: user-mode trap with no current environment");
    if (tf != &e->tf)
        panic("trap_dispatch: the frame is not env %x's", e->id);
    env_on_entry(e);
    if (tf->trapno < 32 && tf->trapno != T_NMI && tf->trapno != T_MCHK && e->status == ENV_RUNNING) {
        user_exception(e, &e->tf);
    } else if (tf->trapno == VEC_TIMER) {
        if (e->status == ENV_RUNNING && sched_tick(e)) {
            env_on_yield(e);        /* a lost slice counts toward a revocation deadline */
            sched_run();
        }
    }                               /* a kick: just look again below */
    finish(e);
}

/* The shared tier (klock.h), for the calls syscalls.tbl marks shared: on
 * as many CPUs at once as like, under kernel_lock_shared and the caller's
 * space lock, when nothing is due for the caller.  The call returns
 * SYSCALL_EXCLUSIVE, before it changes anything, when it needs more than
 * its own space (sys_common.h); nothing it does in this tier makes
 * anything due (no kill, wake-up, switch or reap).  Returns whether it ran
 * the call, its result in tf->rax. */
static bool syscall_shared_tier(struct trapframe *tf)
{
    struct env *e = arch_curenv();
    if (!kernel_lock_shared())
        return false;
    long r = SYSCALL_EXCLUSIVE;
    if (nothing_due(e, tf)) {
        struct spinlock *l = &env_space(e)->space_lock;
        spin_lock(l);
        r = syscall_run(tf->rax, tf, true);
        spin_unlock(l);
    }
    kernel_unlock_shared();
    if (r == SYSCALL_EXCLUSIVE)
        return false;
    tf->rax = (uint64_t)r;
    return true;
}

/* The fast path, for the calls syscalls.tbl marks fast: they run on the
 * frame syscall_entry built (in the caller's env, as every syscall's) and
 * come back to it, and syscall_entry returns with sysretq, without the
 * scheduler and the general return path.  Taken only when nothing is
 * due for the caller (its status, an upcall, a preemption, a revocation
 * request, environments to reap) before the call and after it; false
 * before the call sends it down the general path.  A call that leaves
 * something due finishes on the general path instead (never returns). */
static bool syscall_fast_path(struct trapframe *tf)
{
    uint64_t num = tf->rax - VN_SYSCALL_BASE;     /* reflected: the general path (after trapentry.S's tier) */
    if (num >= syscall_fast_count || !syscall_fast[num])
        return false;
    if (syscall_fast[num] == 2 && syscall_shared_tier(tf))
        return true;
    uint64_t ticks = this_cpu()->ticks;
    kernel_lock();
    counts_fold();
    irq_deliver_pending();
    struct env *e = arch_curenv();
    if (!nothing_due(e, tf)) {
        kernel_unlock();
        return false;
    }
    tf->rax = (uint64_t)syscall_run(tf->rax, tf, false);
    if (e->status != ENV_RUNNING || e->revoke_upcall_due || e->preempted || env_reap_pending() ||
        !arch_context_fast_ok(e, tf)) {
        if (e->status == ENV_RUNNING)
            env_return(e);
        finish(e);
    }
    /* Interrupts are on only while this CPU waits (for the lock, or for
     * another CPU in a call): a timer tick taken then is lost, as the
     * kernel-mode trap path does not re-arm, so re-arm it here.  Without
     * one nothing changed: the slice is still e's (every return to user
     * mode starts or checks it) and a deadline passed since is a tick
     * still pending, which user mode takes at once. */
    if (this_cpu()->ticks != ticks)
        sched_slice_begin(e);
    kernel_unlock();
    return true;
}

/* The lock-free tier, for `null` (trapentry.S): nothing is read but the
 * caller's own state, so no lock.  Whatever another CPU does to the
 * caller meanwhile (a kill, a revocation) sends it a kick or waits for
 * its next entry, exactly as while it runs in user mode; a tick is
 * pending and taken right after sysretq; a change of its I/O ports
 * reaches this CPU's bitmap at its next general return, as in user mode.
 * Returns whether the call may return 0 to rip at once; false: the
 * general entry.  The fuzzing kernel's oracle does not see these calls
 * (they only return 0 and never sleep), but the fuzzer drives them
 * against kills and revocations from other CPUs.  It keeps every register
 * but rax, so the entry saves almost nothing. */
static inline bool nolock_nothing_due(struct env *e, uint64_t rip)
{
    return rip < USER_TOP && __atomic_load_n(&e->status, __ATOMIC_RELAXED) == ENV_RUNNING &&
           !__atomic_load_n(&e->revoke_upcall_due, __ATOMIC_RELAXED) && !e->preempted &&
           !(e->info && __atomic_load_n(&e->info->revoke_request, __ATOMIC_RELAXED));
}

_Static_assert(MAX_CPUS <= SYSCALL_SHARED_CPUS && MAX_CPUS <= SYSCALL_NOLOCK_CPUS, "syscall.h's per-CPU tables");
__attribute__((no_caller_saved_registers)) bool syscall_nolock(uint64_t rip);
__attribute__((no_caller_saved_registers)) bool syscall_nolock(uint64_t rip)
{
    struct percpu *c = this_cpu();
    if (!nolock_nothing_due(c->curenv, rip))
        return false;
    c->nolock_calls++;          /* this CPU's alone: interrupts are off */
    syscall_account_nolock(SYS_null);
    return true;
}

/* The lock-free reflection tier (trapentry.S), for a call that is not
 * ours: under syscall_nolock's discipline (nothing read but the caller's
 * own state) it finds where the caller's syscall upcall frame goes, and
 * the entry code writes the frame there itself and returns into the
 * upcall with sysretq, as the general path's reflection would.  The
 * upcall may be set meanwhile from another CPU (env_set_upcall), so each
 * field is read once; whatever mix of old and new it reads, the entry and
 * the frame were each checked to lie in user space when set, and the
 * libOS's handler then sees what its setter's race made.  Returns the
 * frame's user address, with the entry in this CPU's reflect_entry; 0
 * sends the call down the general path (the only other reflection),
 * which also says why and kills when the upcall is unusable (as does a
 * fault while the entry code writes the frame). */
__attribute__((no_caller_saved_registers)) uint64_t syscall_reflect_nolock(uint64_t rip, uint64_t usp);
_Static_assert(VN_T_SYSCALL == 259, "trapentry.S's XF_T_SYSCALL");   /* the offsets: <veneer/env.h> */
__attribute__((no_caller_saved_registers)) uint64_t syscall_reflect_nolock(uint64_t rip, uint64_t usp)
{
    struct percpu *c = this_cpu();
    struct env *e = c->curenv;     /* never NULL in a syscall */
    if (!nolock_nothing_due(e, rip))
        return 0;
    const struct env_upcall *u = &e->upcall[UPCALL_SYSCALL];
    uint64_t entry = __atomic_load_n(&u->entry, __ATOMIC_RELAXED);
    uint64_t frame = __atomic_load_n(&u->frame, __ATOMIC_RELAXED);
    if (!entry || !frame || (usp > __atomic_load_n(&u->stack_base, __ATOMIC_RELAXED) &&
                             usp <= __atomic_load_n(&u->stack_top, __ATOMIC_RELAXED)))
        return 0;
    c->reflect_entry = entry;
    return frame;
}

/* The shared tier of the IPC switch (ipc.c): ipc_call (with no
 * capability to transfer) and ipc_reply_recv go straight to the other
 * party without the big lock when nothing is due for the caller.  Returns
 * when the call must take the big lock (nothing changed); never counted
 * here, as the general path does not count a call that switches. */
static void ipc_shared_tier(struct trapframe *tf)
{
    uint64_t num = tf->rax;
    if (num != SYS_ipc_call && num != SYS_ipc_reply_recv)
        return;
    struct env *e = arch_curenv();
    if (!kernel_lock_shared())
        return;
    const uint64_t a[6] = {tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9};
    if (nothing_due(e, tf) && (num == SYS_ipc_reply_recv || (capref_t)a[5] == -1)) {
        syscall_trace(num, a);
        if (num == SYS_ipc_call)
            ipc_call_shared(e, (capref_t)a[0], &a[1]);
        else
            ipc_reply_recv_shared(e, a);
    }
    kernel_unlock_shared();
}

void syscall_trap(struct trapframe *tf)
{
    if (syscall_fast_path(tf))
        return;     /* syscall_entry returns from tf with sysretq */
    ipc_shared_tier(tf);
    kernel_lock();
    counts_fold();
    irq_deliver_pending();      /* noted while this CPU waited for the lock */
    struct env *e = arch_curenv();
    if (!e)
        panic("syscall_trap: syscall with no current environment");
    if (tf != &e->tf)
        panic("syscall_trap: the frame is not env %x's", e->id);
    uint64_t num = tf->rax;
    tf->rax = 0;                /* result of calls that reschedule */
    env_on_entry(e);
    if (e->status == ENV_RUNNING && num - VN_SYSCALL_BASE >= SYS_COUNT && e->upcall[UPCALL_SYSCALL].entry) {
        /* Not one of ours: reflect it to the libOS in the same address
         * space, which answers by setting rax in the frame. */
        tf->rax = num;
        if (!env_upcall(e, UPCALL_SYSCALL, VN_T_SYSCALL, 0, 0))
            env_kill(e, "cannot deliver reflected syscall %lu", num);
        else
            env_return(e);      /* straight back, into the upcall (as a syscall returns) */
    } else if (e->status == ENV_RUNNING) {
        tf->rax = (uint64_t)syscall_run(num, tf, false);
        if (e->status == ENV_RUNNING)
            env_return(e);
    }
    finish(e);
}
