/*
 * Copies between kernel and user memory.  The C wrappers (user_copy.c)
 * have already checked that the user range lies below USER_TOP; a page
 * fault on the marked instruction is turned into -E_FAULT by the trap
 * handler through the exception table (.extable: faulting rip, fixup rip).
 * SMAP is lifted (stac) only for the copy itself.
 */
#define E_FAULT 2

    .text
/* long arch_copy_user(void *dst, const void *src, size_t n): 0 or -E_FAULT */
    .globl arch_copy_user
arch_copy_user:
    movq %rdx, %rcx
    shrq $3, %rcx               /* eight bytes at a time, then the rest */
    andl $7, %edx
    cmpb $0, cpu_has_smap(%rip)
    je 1f
    stac
1:  rep movsq
    movq %rdx, %rcx
5:  rep movsb
    xorl %eax, %eax
3:  cmpb $0, cpu_has_smap(%rip)
    je 4f
    clac
4:  ret
2:  movq $-E_FAULT, %rax
    jmp 3b

    .section .extable, "a"
    .balign 8
    .quad 1b, 2b
    .quad 5b, 2b
