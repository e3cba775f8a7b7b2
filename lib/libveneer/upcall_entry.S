/*
 * Upcall entry: the kernel starts us here with %rsp = %rdi = a struct
 * vn_xframe holding the interrupted state.  We save the FPU/SSE state,
 * call vn_upcall_dispatch(frame), restore the FPU state and return to the
 * interrupted code by ourselves, without entering the kernel: the return
 * address is stored just below the interrupted code's red zone, all
 * registers and flags are reloaded from the frame, and `ret $128` lands
 * on the interrupted rip with the interrupted rsp.  The same sequence,
 * as vn_xframe_resume(), lets the thread library switch to any saved
 * context; vn_xframe_save() captures the caller's own context.
 */
#include <veneer/xframe_layout.h>
#define XF_R15    VN_XF_R15
#define XF_RIP    VN_XF_RIP
#define XF_RFLAGS VN_XF_RFLAGS
#define XF_RSP    VN_XF_RSP
#define RED_ZONE  128

    .text
    .globl vn_upcall_entry
vn_upcall_entry:
    movq %rsp, %rbx
    subq $512, %rsp             /* frame is 16-aligned, so is this */
    fxsave64 (%rsp)
    movq %rbx, %rdi
    call vn_upcall_dispatch
    fxrstor64 (%rsp)
    movq %rbx, %rsp
    jmp vn_resume_frame_here

/* void vn_xframe_resume(struct vn_xframe *f): load every register of f and
 * continue at f->rip on f->rsp (f->rsp is modified on the way). */
    .globl vn_xframe_resume
vn_xframe_resume:
    movq %rdi, %rsp
vn_resume_frame_here:
    /* Store the return rip below the interrupted red zone. */
    movq XF_RSP(%rsp), %rax
    subq $(RED_ZONE + 8), %rax
    movq XF_RIP(%rsp), %rcx
    movq %rcx, (%rax)
    movq %rax, XF_RSP(%rsp)
    addq $XF_R15, %rsp
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
    addq $8, %rsp               /* rip: already stored */
    popfq
    popq %rsp
    ret $RED_ZONE

/* void vn_xframe_save(struct vn_xframe *f): record the callee-saved
 * registers, stack and return address of the caller in f, so that
 * vn_xframe_resume(f) later returns from this call (with rax = 1; the
 * first return gives rax = 0). */
    .globl vn_xframe_save
vn_xframe_save:
    movq %r15, XF_R15 + 0(%rdi)
    movq %r14, XF_R15 + 8(%rdi)
    movq %r13, XF_R15 + 16(%rdi)
    movq %r12, XF_R15 + 24(%rdi)
    movq %rbp, XF_R15 + 64(%rdi)
    movq %rbx, XF_R15 + 104(%rdi)
    movq $1, XF_R15 + 112(%rdi)         /* rax when resumed */
    movq (%rsp), %rax
    movq %rax, XF_RIP(%rdi)
    leaq 8(%rsp), %rax
    movq %rax, XF_RSP(%rdi)
    pushfq
    popq %rax
    movq %rax, XF_RFLAGS(%rdi)
    xorl %eax, %eax
    ret
