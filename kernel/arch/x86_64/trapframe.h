/*
 * Saved user (or kernel) register state, in the order trapentry.S pushes
 * it.  An environment's context is one of these; returning to user mode
 * pops one.  Offsets are pinned because assembly depends on them.
 */
#ifndef ARCH_TRAPFRAME_H
#define ARCH_TRAPFRAME_H

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x18      /* sysret: STAR[63:48] + 8 */
#define GDT_UCODE 0x20      /* sysret: STAR[63:48] + 16 */
#define GDT_TSS   0x28
#define USER_CS   (GDT_UCODE | 3)
#define USER_SS   (GDT_UDATA | 3)

/* Flags a user program may own; IF is always on, IOPL always 0. */
#define RFLAGS_USER_MASK 0x240dd5   /* CF PF AF ZF SF TF DF OF AC ID */
#define RFLAGS_FIXED     0x202      /* IF and the always-one bit 1 */

#define T_DIVIDE  0
#define T_DEBUG   1
#define T_NMI     2
#define T_BRKPT   3
#define T_OFLOW   4
#define T_BOUND   5
#define T_ILLOP   6
#define T_DEVICE  7
#define T_DBLFLT  8
#define T_TSS     10
#define T_SEGNP   11
#define T_STACK   12
#define T_GPFLT   13
#define T_PGFLT   14
#define T_FPERR   16
#define T_ALIGN   17
#define T_MCHK    18
#define T_SIMDERR 19
#define T_SYSCALL 256       /* pseudo-vector: entered through `syscall` */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t trapno;
    uint64_t err;
    uint64_t rip, cs, rflags, rsp, ss;   /* as pushed by the CPU */
};

_Static_assert(offsetof(struct trapframe, rax) == 14 * 8, "trapframe layout");
_Static_assert(offsetof(struct trapframe, trapno) == 15 * 8, "trapframe layout");
_Static_assert(offsetof(struct trapframe, rip) == 17 * 8, "trapframe layout");
_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout");
#endif

#define TF_RAX    (14 * 8)
#define TF_TRAPNO (15 * 8)
#define TF_RIP    (17 * 8)
#define TF_RFLAGS (19 * 8)
#define TF_RSP    (20 * 8)
#define TF_SIZE   (22 * 8)

#endif
