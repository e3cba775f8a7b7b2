/*
 * Program entry for Veneer-native programs: the kernel (or the parent
 * libOS) starts us at _start with %rsp at the top of a mapped stack.
 * Align the stack, call main, and exit with its result.
 */
    .text
    .globl _start
_start:
    xorl %ebp, %ebp
    andq $-16, %rsp
    call main          /* rdi, rsi: arguments from the parent */
    movl %eax, %edi
    call vn_exit
1:  jmp 1b
