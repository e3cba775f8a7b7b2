/*
 * Kernel entry and exit.
 *   trap_stubs:    256 IDT stubs (16 bytes apart) that push an error code
 *                  if the CPU did not, then the vector, then the registers;
 *                  from user mode into curenv->tf (the TSS's rsp0).
 *   syscall_entry: target of `syscall`; builds the same trapframe, but
 *                  in place: in the calling environment's own saved
 *                  context (struct env's first field, tf), so nothing is
 *                  copied; it returns from it with sysretq when the call
 *                  took the fast path (trap.c).  Only the pushes run on
 *                  that stack (interrupts are off; NMI, double fault and
 *                  machine check have IST stacks), C runs on the kernel
 *                  stack.  `null` first tries the lock-free
 *                  tier, which builds no frame at all, and a foreign
 *                  number the lock-free reflection, which writes only the
 *                  upcall's vn_xframe.
 *   env_pop_tf:    return to user mode from a trapframe, with sysretq when
 *                  it was entered by `syscall` and iretq otherwise.  The C
 *                  side guarantees user CS/SS, a canonical RIP and sane
 *                  RFLAGS, so sysretq can never fault in ring 0.
 * The kernel runs with interrupts off; %gs is swapped on every crossing.
 */
#include <veneer/syscall_nums.h>
#include <veneer/xframe_layout.h>
#include "trapframe.h"
#include "percpu.h"

#define TF_CS (18 * 8)
#define TF_SIZE (22 * 8)        /* trap.c checks it and that tf is struct env's first field */

.macro PUSH_REGS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro POP_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

    .text
    .balign 16
    .globl trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

/* From user mode the CPU pushed its part at the TSS's rsp0, the top of
 * curenv->tf: the whole frame is there, and C runs on the kernel stack.
 * From kernel mode the frame is on the kernel stack.  %rbx keeps it. */
trap_common:
    PUSH_REGS
    movq %rsp, %rbx
    testb $3, TF_CS(%rsp)
    jz 1f
    swapgs
    movq %gs:PERCPU_KSTACK, %rsp
1:  cld
    movq %rbx, %rdi
    xorl %ebp, %ebp
    call trap_dispatch
    /* Kernel-mode traps, and IPIs served without the lock, come back here. */
    movq %rbx, %rsp
    testb $3, TF_CS(%rsp)
    jz 1f
    swapgs
1:  POP_REGS
    addq $16, %rsp
    iretq

    .globl syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_KSTACK, %rsp
    cmpq $SYS_null, %rax
    je null_entry
    cmpq $VN_SYSCALL_BASE, %rax
    jb reflect_entry
    cmpq $VN_SYSCALL_BASE + SYS_COUNT, %rax
    jae reflect_entry
syscall_full:
    movq %gs:PERCPU_TF_TOP, %rsp    /* the top of curenv->tf */
    pushq $USER_SS
    pushq %gs:PERCPU_USER_RSP
    pushq %r11
    pushq $USER_CS
    pushq %rcx
    pushq $0
    pushq $T_SYSCALL
    PUSH_REGS
    movq %rsp, %rdi
    movq %gs:PERCPU_KSTACK, %rsp
    xorl %ebp, %ebp
    call syscall_trap
    /* Back from the fast path only (the general path never returns):
     * the frame is the caller's, rip checked, rflags its own. */
    movq %gs:PERCPU_CURENV, %rsp
    jmp sysret_frame

/* The lock-free tier: `null` touches no kernel state, so it asks
 * syscall_nolock (trap.c, which keeps every register but rax) whether
 * anything is due for the caller and returns 0 with sysretq; otherwise
 * it takes the full path above. */
null_entry:
    pushq %rdi
    movq %rcx, %rdi             /* user rip */
    call syscall_nolock
    popq %rdi
    testb %al, %al
    movl $SYS_null, %eax
    jz syscall_full
    xorl %eax, %eax
    movq %gs:PERCPU_USER_RSP, %rsp
    swapgs
    sysretq

/* The lock-free reflection tier: a call that is not ours goes to the
 * caller's syscall upcall.  syscall_reflect_nolock (trap.c, which keeps
 * every register but rax) checks that nothing is due and says where the
 * vn_xframe goes on the upcall stack; the frame is written here straight
 * from the registers, and sysretq enters the upcall with rdi = rsp =
 * the frame and the caller's other registers, as the general path's
 * reflection does.  A fault writing the frame (the exception table sends
 * it to reflect_fault) or a refusal takes the full path, which redoes
 * the reflection under the lock, or says why it cannot and kills. */
/* vn_xframe's layout (<veneer/xframe_layout.h>) and VN_T_SYSCALL
 * (<veneer/env.h>, which C alone can include; trap.c checks it) */
#define XF_T_SYSCALL 259
#define XF_TRAPNO VN_XF_TRAPNO
#define XF_ERR    VN_XF_ERR
#define XF_ADDR   VN_XF_ADDR
#define XF_RIP    VN_XF_RIP
#define XF_RFLAGS VN_XF_RFLAGS
#define XF_RSP    VN_XF_RSP
.macro USTORE src, off
9:  movq \src, \off(%rax)
    .pushsection .extable, "a"
    .balign 8
    .quad 9b, reflect_fault
    .popsection
.endm

reflect_entry:
    pushq %rax
    pushq %rdi
    pushq %rsi
    movq %rcx, %rdi             /* user rip */
    movq %gs:PERCPU_USER_RSP, %rsi
    call syscall_reflect_nolock /* rax: the frame, or 0 */
    testq %rax, %rax
    jz reflect_refused
    cmpb $0, cpu_has_smap(%rip)
    je 1f
    stac
1:  movq 8(%rsp), %rdi
    movq (%rsp), %rsi
    USTORE $XF_T_SYSCALL, XF_TRAPNO
    USTORE $0, XF_ERR
    USTORE $0, XF_ADDR
    USTORE %r15, VN_XF_R15 + 0
    USTORE %r14, VN_XF_R15 + 8
    USTORE %r13, VN_XF_R15 + 16
    USTORE %r12, VN_XF_R15 + 24
    USTORE %r11, VN_XF_R15 + 32
    USTORE %r10, VN_XF_R15 + 40
    USTORE %r9, VN_XF_R15 + 48
    USTORE %r8, VN_XF_R15 + 56
    USTORE %rbp, VN_XF_R15 + 64
    USTORE %rdi, VN_XF_R15 + 72
    USTORE %rsi, VN_XF_R15 + 80
    USTORE %rdx, VN_XF_R15 + 88
    USTORE %rcx, VN_XF_R15 + 96
    USTORE %rbx, VN_XF_R15 + 104
    movq 16(%rsp), %rdi
    USTORE %rdi, VN_XF_RAX      /* the call's number */
    USTORE %rcx, XF_RIP
    movq %r11, %rdi
    andl $RFLAGS_USER_MASK, %edi
    orl $RFLAGS_FIXED, %edi
    USTORE %rdi, XF_RFLAGS
    movq %gs:PERCPU_USER_RSP, %rdi
    USTORE %rdi, XF_RSP
    cmpb $0, cpu_has_smap(%rip)
    je 1f
    clac
1:  movq %gs:PERCPU_REFLECT_ENTRY, %rcx
    movl $RFLAGS_FIXED, %r11d
    movq (%rsp), %rsi
    movq %rax, %rdi
    movq 16(%rsp), %rax
    movq %rdi, %rsp
    swapgs
    sysretq
reflect_fault:
    cmpb $0, cpu_has_smap(%rip)
    je reflect_refused
    clac
reflect_refused:
    popq %rsi
    popq %rdi
    popq %rax
    jmp syscall_full

/* void env_pop_tf(struct trapframe *tf) __attribute__((noreturn)) */
    .globl env_pop_tf
env_pop_tf:
    movq %rdi, %rsp
    cmpq $T_SYSCALL, TF_TRAPNO(%rsp)
    je 1f
    POP_REGS
    addq $16, %rsp
    swapgs
    iretq
1:
sysret_frame:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    addq $8, %rsp               /* r11: sysret loads RFLAGS from it */
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    addq $8, %rsp               /* rcx: sysret loads RIP from it */
    popq %rbx
    popq %rax
    movq 16(%rsp), %rcx         /* rip (after trapno, err) */
    movq 32(%rsp), %r11         /* rflags */
    movq 40(%rsp), %rsp         /* user stack */
    swapgs
    sysretq
