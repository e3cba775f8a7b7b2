/*
 * Upcall entry: the kernel starts us here with %rsp = %rdi = a struct
 * vn_xframe holding the interrupted state.  We save the FPU/SSE state,
 * call vn_upcall_dispatch(frame), restore the FPU state and return to the
 * interrupted code by ourselves, without entering the kernel: the return
 * address is stored just below the interrupted code's red zone, all
 * registers and flags are reloaded from the frame, and `ret $128` lands
 * on the interrupted rip with the interrupted rsp.
 */
#define XF_R15    24
#define XF_RIP    (24 + 15 * 8)
#define XF_RFLAGS (XF_RIP + 8)
#define XF_RSP    (XF_RIP + 16)
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
