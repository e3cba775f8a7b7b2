/*
 * The machine types portable kernel code holds but never looks into: the
 * saved user context (struct trapframe), each environment's FPU and
 * segment-base state (struct arch_env_state), this CPU's index, and the
 * vectors irq.c hands out to devices (lapic.h's VEC_DEV_*).  The
 * build selects this header with -Ikernel/arch/$(ARCH); kernel/arch.h is
 * its only includer outside the machine layer.
 */
#ifndef ARCH_TYPES_H
#define ARCH_TYPES_H

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

/* This CPU's index (0 = the boot CPU). */
static inline unsigned arch_cpu_id(void)
{
    return this_cpu()->id;
}

#endif
