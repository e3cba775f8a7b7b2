/*
 * The machine types portable kernel code holds but never looks into: the
 * saved user context (struct trapframe), each environment's FPU and
 * segment-base state (struct arch_env_state), this CPU's index and
 * environment, the TSC, and the
 * vectors irq.c hands out to devices (lapic.h's VEC_DEV_*).  The
 * build selects this header with -Ikernel/arch/$(ARCH); kernel/arch.h is
 * its only includer outside the machine layer.
 */
#ifndef ARCH_TYPES_H
#define ARCH_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "lapic.h"
#include "percpu.h"
#include "trapframe.h"

/* Per-environment machine state saved while it is off the CPU (context.c). */
struct arch_env_state {
    uint8_t fpu[512] __attribute__((aligned(16)));  /* fxsave area */
    uint64_t fs_base, gs_base;  /* user segment bases (saved with the FPU state) */
    int fpu_cpu;                /* CPU whose FPU registers last held it, or -1 */
};

/* The environment running on this CPU, or NULL. */
static inline struct env *arch_curenv(void)
{
    return this_cpu()->curenv;
}

/* The TSC now. */
static inline uint64_t arch_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* An IPC message arrives in tf: rax = rv, rdi, rsi, rdx, r10 = m, r8 = extra, r9 = badge. */
static inline void arch_ipc_set_msg(struct trapframe *tf, long rv, const uint64_t m[4], uint64_t extra,
                                    uint64_t badge)
{
    tf->rax = (uint64_t)rv;
    tf->rdi = m[0], tf->rsi = m[1], tf->rdx = m[2], tf->r10 = m[3];
    tf->r8 = extra, tf->r9 = badge;
}

/* Set, or read as last set, the value a syscall returns when tf resumes. */
static inline void arch_context_set_return(struct trapframe *tf, long v) { tf->rax = (uint64_t)v; }
static inline long arch_context_get_return(const struct trapframe *tf) { return (long)tf->rax; }
/* Whether arch_context_resume takes tf back to user mode without a kill. */
static inline bool arch_context_rip_ok(const struct trapframe *tf) { return tf->rip < 0x0000800000000000ul; }

/* CPUs running (cpu_count). */
static inline unsigned arch_cpu_count(void)
{
    return ncpus;
}

/* This CPU's index (0 = the boot CPU). */
static inline unsigned arch_cpu_id(void)
{
    return this_cpu()->id;
}

#endif
