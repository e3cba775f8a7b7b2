/*
 * User contexts on x86_64: creating, resuming and the lazily switched
 * FPU/SSE state.  arch_context_resume() is the last gate before user mode:
 * it forces user segments, sane RFLAGS and a canonical RIP, so neither
 * sysretq nor iretq can fault in ring 0 whatever the libOS put there.
 */
#include <veneer/memlayout.h>
#include "../../env.h"
#include "../../klock.h"
#include "x86.h"

/* Also where the next syscall or user-mode trap pushes its frame: into
 * e's saved context, which is what the kernel works on (trapentry.S).
 * Without an environment nothing enters from user mode, so the last one's
 * stays (on a switch every environment passes through NULL). */
void arch_set_curenv(struct env *e)
{
    struct percpu *c = this_cpu();
    c->curenv = e;
    if (e)
        c->tss.rsp[0] = c->tf_top = (uint64_t)(&e->tf + 1);
}

void arch_context_init(struct trapframe *tf, uint64_t rip, uint64_t rsp)
{
    *tf = (struct trapframe){0};
    tf->rip = rip;
    tf->rsp = rsp;
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    tf->rflags = RFLAGS_FIXED;
    tf->trapno = T_SYSCALL;     /* first entry may use the sysret path */
}

static bool canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* The FPU/SSE registers and the FS/GS bases (which a libOS may set itself
 * with wrfsbase/wrgsbase) are switched together, lazily. */
void arch_fpu_save(struct env *e)
{
    struct percpu *c = this_cpu();
    if (c->fpu_env == e && e->arch.fpu_cpu == (int)c->id) {
        __asm__ volatile("fxsave64 %0" : "=m"(e->arch.fpu));
        e->arch.fs_base = rdmsr(MSR_FS_BASE);
        e->arch.gs_base = rdmsr(MSR_KERNEL_GS_BASE);     /* the user's, while in the kernel */
    }
}

void arch_fpu_restore(struct env *e)
{
    struct percpu *c = this_cpu();
    if (c->fpu_env == e && e->arch.fpu_cpu == (int)c->id)
        return;     /* the registers still hold its state */
    __asm__ volatile("fxrstor64 %0" : : "m"(e->arch.fpu));
    wrmsr(MSR_FS_BASE, e->arch.fs_base);
    wrmsr(MSR_KERNEL_GS_BASE, e->arch.gs_base);
    c->fpu_env = e;
    e->arch.fpu_cpu = (int)c->id;
}

void arch_fpu_forget(struct env *e)
{
    for (unsigned i = 0; i < ncpus; i++)
        if (cpus[i].fpu_env == e)
            cpus[i].fpu_env = NULL;
}

uint64_t arch_tsc_hz(void) { return tsc_hz(); }

void arch_timer_oneshot(uint64_t ns) { lapic_timer_oneshot(ns); }

void arch_idle(void)
{
    struct percpu *c = this_cpu();
    c->idle = true;
    kernel_unlock();
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    kernel_lock();
    c->idle = false;
}

void arch_wait_for_kick(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }

void arch_kick_cpu(unsigned cpu) { lapic_send_ipi(cpus[cpu].apic_id, VEC_IPI_WAKE); }

bool arch_cpu_idle(unsigned cpu) { return cpus[cpu].idle; }

void env_pop_tf(struct trapframe *tf) __attribute__((noreturn));

/* Open in this CPU's I/O bitmap exactly the ports e was given
 * (dev_ports), closing the previous environment's; nothing to do when e
 * was the last to run here and has not changed them. */
static void io_bitmap_load(struct env *e)
{
    struct percpu *c = this_cpu();
    if (c->io_env == e && c->io_gen == e->io_gen)
        return;
    /* io_gen 0: never given a port; with none open here, nothing to do. */
    for (unsigned i = 0; (c->io_any || e->io_gen) && i < IOBM_RANGES; i++) {
        for (unsigned p = c->io_open[i][0]; p < (unsigned)c->io_open[i][0] + c->io_open[i][1]; p++)
            c->iobm[p / 8] |= (uint8_t)(1u << (p % 8));
        c->io_open[i][0] = c->io_open[i][1] = 0;
    }
    c->io_any = false;
    for (unsigned i = 0; e->io_gen && i < IOBM_RANGES; i++) {
        if (!e->io[i].cap)
            continue;
        c->io_open[i][0] = e->io[i].port;
        c->io_open[i][1] = e->io[i].n;
        c->io_any = true;
        for (unsigned p = e->io[i].port; p < (unsigned)e->io[i].port + e->io[i].n; p++)
            c->iobm[p / 8] &= (uint8_t)~(1u << (p % 8));
    }
    c->io_env = e;
    c->io_gen = e->io_gen;
}

void arch_context_resume(struct env *e)
{
    struct trapframe *tf = &e->tf;
    io_bitmap_load(e);
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    tf->rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_FIXED;
    if (!canonical(tf->rip) || tf->rip >= USER_TOP) {
        /* Executing at this rip would raise #GP in user mode: say so now. */
        env_kill(e, "general protection: non-canonical or kernel rip %lx", tf->rip);
        sched_run();
    }
    if (kernel_shared_held())
        kernel_unlock_shared();     /* the shared tier's IPC switch (ipc.c) */
    else
        kernel_unlock();
    env_pop_tf(tf);
}

bool arch_context_fast_ok(struct env *e, const struct trapframe *tf)
{
    struct percpu *c = this_cpu();
    return tf->rip < USER_TOP && c->io_env == e && c->io_gen == e->io_gen;
}

uint64_t arch_frame_pointer(void) { return read_rbp(); }

void arch_xframe_fill(const struct trapframe *tf, struct vn_xframe *x, uint64_t trapno, uint64_t err,
                      uint64_t addr)
{
    *x = (struct vn_xframe){
        .trapno = trapno, .err = err, .addr = addr,
        .r15 = tf->r15, .r14 = tf->r14, .r13 = tf->r13, .r12 = tf->r12,
        .r11 = tf->r11, .r10 = tf->r10, .r9 = tf->r9, .r8 = tf->r8,
        .rbp = tf->rbp, .rdi = tf->rdi, .rsi = tf->rsi, .rdx = tf->rdx,
        .rcx = tf->rcx, .rbx = tf->rbx, .rax = tf->rax,
        .rip = tf->rip, .rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_FIXED, .rsp = tf->rsp,
    };
}

void arch_context_enter_upcall(struct trapframe *tf, uint64_t entry, uint64_t frame)
{
    tf->rip = entry;
    tf->rsp = frame;
    tf->rdi = frame;
    tf->rflags = RFLAGS_FIXED;
    tf->trapno = T_SYSCALL;     /* rcx/r11 are saved in the frame: sysret is fine */
}

void arch_context_set_regs(struct trapframe *tf, const struct vn_regs *r)
{
    arch_context_init(tf, r->rip, r->rsp);
    tf->rdi = r->rdi;
    tf->rsi = r->rsi;
    tf->rdx = r->rdx;
    tf->rcx = r->rcx;
    tf->trapno = 0;             /* any non-syscall vector: iretq keeps rcx */
}

uint64_t arch_context_sp(const struct trapframe *tf) { return tf->rsp; }

void arch_env_state_init(struct arch_env_state *a)
{
    *(uint16_t *)&a->fpu[0] = 0x37f;    /* x87 control word, reset value */
    *(uint32_t *)&a->fpu[24] = 0x1f80;  /* MXCSR, reset value */
    a->fpu_cpu = -1;
}

void arch_context_set_args(struct trapframe *tf, uint64_t a0, uint64_t a1)
{
    tf->rdi = a0;
    tf->rsi = a1;
}
