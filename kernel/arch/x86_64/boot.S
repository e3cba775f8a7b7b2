/*
 * First instructions: both boot protocols land here in 32-bit protected
 * mode with paging off.
 *   - PVH (qemu -kernel): entry _start_pvh, %ebx = hvm_start_info (phys).
 *   - Multiboot2 (GRUB, make iso): entry _start_mb2, %eax = magic,
 *     %ebx = boot information (phys).
 * We build throw-away page tables (identity and physmap for the first
 * 4 GiB, kernel image at KERNEL_BASE), enter long mode, jump to the higher
 * half and call kernel_main(boot_protocol, boot_info_phys).  paging_init()
 * later replaces these tables with the final W^X ones.
 * This file is linked at physical addresses (section .boot).
 */
#include <veneer/memlayout.h>
#include "boot_proto.h"

#define MB2_MAGIC     0xe85250d6
#define MB2_HDR_LEN   (mb2_header_end - mb2_header)

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                             /* architecture: i386 protected mode */
    .long MB2_HDR_LEN
    .long 0x100000000 - (MB2_MAGIC + MB2_HDR_LEN)
    .balign 8                           /* entry address tag */
    .short 3, 0
    .long 12
    .long _start_mb2
    .balign 8                           /* end tag */
    .short 0, 0
    .long 8
mb2_header_end:

    /* PVH entry note read by QEMU (XEN_ELFNOTE_PHYS32_ENTRY = 18). */
    .section .note.Xen, "a"
    .balign 4
    .long 4, 8, 18
    .asciz "Xen"
    .quad _start_pvh

    .section .boot.text, "ax"
    .code32
    .globl _start_pvh
_start_pvh:
    movl $BOOT_PROTO_PVH, %edi
    movl %ebx, %esi
    jmp boot_common32

    .globl _start_mb2
_start_mb2:
    movl $BOOT_PROTO_NONE, %edi
    cmpl $0x36d76289, %eax
    jne 1f
    movl $BOOT_PROTO_MB2, %edi
1:  movl %ebx, %esi

boot_common32:
    cli
    cld
    movl $boot_stack_top32, %esp

    /* PD[0..2047]: 2 MiB pages covering 0..4 GiB, present+writable+large. */
    movl $boot_pd, %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, (%ebx, %ecx, 8)
    movl $0, 4(%ebx, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    /* PDPT_low[0..3] -> the four PDs. */
    movl $boot_pdpt_low, %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    addl $boot_pd + 3, %eax
    movl %eax, (%ebx, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 1b

    /* PDPT_high[510] -> first PD: KERNEL_BASE maps physical 0..1 GiB. */
    movl $boot_pd + 3, boot_pdpt_high + 510 * 8

    /* PML4: 0 (identity), 256 (physmap), 511 (kernel image). */
    movl $boot_pdpt_low + 3, boot_pml4
    movl $boot_pdpt_low + 3, boot_pml4 + 256 * 8
    movl $boot_pdpt_high + 3, boot_pml4 + 511 * 8

    movl %cr4, %eax
    orl $(1 << 5), %eax                 /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx              /* EFER: long mode + NX enable */
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE */
    movl %eax, %cr0

    lgdt boot_gdt_desc
    ljmp $0x08, $boot_long64

    .code64
boot_long64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $kernel_entry64, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
boot_gdt_desc:
    .short boot_gdt_desc - boot_gdt - 1
    .long boot_gdt

    .section .boot.bss, "aw", @nobits
    .balign 4096
    .globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_stack32:   .skip 1024
boot_stack_top32:

    /* Higher-half continuation: switch to the kernel stack and call C. */
    .text
kernel_entry64:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    call kernel_main
1:  hlt
    jmp 1b

    .bss
    .balign 4096
    .globl boot_stack, boot_stack_top
boot_stack:     .skip 16384
boot_stack_top:
