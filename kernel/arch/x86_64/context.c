/*
 * User contexts on x86_64: creating, resuming and the lazily switched
 * FPU/SSE state.  arch_context_resume() is the last gate before user mode:
 * it forces user segments, sane RFLAGS and a canonical RIP, so neither
 * sysretq nor iretq can fault in ring 0 whatever the libOS put there.
 */
#include <veneer/memlayout.h>
#include "../../env.h"
#include "percpu.h"
#include "x86.h"

/* Flags a user program may own; IF is always on, IOPL always 0. */
#define RFLAGS_USER_MASK 0x240dd5ul   /* CF PF AF ZF SF TF DF OF AC ID */
#define RFLAGS_FIXED     (RFLAGS_IF | 0x2ul)

static struct env *fpu_owner;

struct env *arch_curenv(void)
{
    return this_cpu()->curenv;
}

void arch_set_curenv(struct env *e)
{
    this_cpu()->curenv = e;
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

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

void arch_fpu_switch(struct env *e)
{
    if (fpu_owner == e)
        return;
    if (fpu_owner)
        __asm__ volatile("fxsave64 %0" : "=m"(fpu_owner->fpu));
    __asm__ volatile("fxrstor64 %0" : : "m"(e->fpu));
    fpu_owner = e;
}

void arch_fpu_forget(struct env *e)
{
    if (fpu_owner == e)
        fpu_owner = NULL;
}

void env_pop_tf(struct trapframe *tf) __attribute__((noreturn));

void arch_context_resume(struct env *e)
{
    struct trapframe *tf = &e->tf;
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    tf->rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_FIXED;
    if (!canonical(tf->rip) || tf->rip >= USER_TOP) {
        /* Executing at this rip would raise #GP in user mode: say so now. */
        env_kill(e, "general protection: non-canonical or kernel rip %lx", tf->rip);
        sched_run();
    }
    env_pop_tf(tf);
}

uint64_t arch_frame_pointer(void)
{
    return read_rbp();
}
