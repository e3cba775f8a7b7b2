/*
 * Application-processor trampoline.  smp_boot() copies this blob to
 * physical AP_TRAMPOLINE (below 1 MiB) and fills in the data words at its
 * end; an AP woken by INIT-SIPI-SIPI starts here in real mode, goes
 * through protected mode to long mode on the boot page tables (which map
 * this page 1:1 and the kernel at KERNEL_BASE) and jumps to
 * ap_tramp_entry(ap_tramp_arg) on ap_tramp_stack.  It never runs at its
 * link address, so it lives in .rodata.
 */
#define AP_TRAMPOLINE 0x8000
#define REL(x) ((x) - ap_tramp_start + AP_TRAMPOLINE)

    .section .rodata
    .balign 16
    .globl ap_tramp_start, ap_tramp_end, ap_tramp_cr3, ap_tramp_stack, ap_tramp_entry, ap_tramp_arg
    .code16
ap_tramp_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl REL(ap_gdt_desc)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $REL(ap_pm32)

    .code32
ap_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $0x20, %eax                     /* PAE */
    movl %eax, %cr4
    movl REL(ap_tramp_cr3), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx              /* EFER: LME, NXE */
    rdmsr
    orl $0x900, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80010000, %eax               /* PG, WP */
    movl %eax, %cr0
    ljmpl $0x18, $REL(ap_lm64)

    .code64
ap_lm64:
    movq REL(ap_tramp_stack), %rsp
    movq REL(ap_tramp_entry), %rax
    movq REL(ap_tramp_arg), %rdi
    xorl %ebp, %ebp
    jmp *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff            /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
    .quad 0x00af9a000000ffff            /* 0x18: 64-bit code */
ap_gdt_desc:
    .short ap_gdt_desc - ap_gdt - 1
    .long REL(ap_gdt)
    .balign 8
ap_tramp_cr3:   .quad 0
ap_tramp_stack: .quad 0
ap_tramp_entry: .quad 0
ap_tramp_arg:   .quad 0
ap_tramp_end:
