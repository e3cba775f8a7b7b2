/*
 * Veneer virtual memory layout, shared by the kernel and every libOS.
 *
 * Every address space has the same kernel half; the user half belongs
 * entirely to the libOS, which chooses its own layout (the values below
 * marked "default" are only what the first environment's loader uses).
 *
 *   0xffffffffffffffff +------------------------------+
 *                      | kernel image (text, rodata,  |  KERNEL_BASE + phys
 *                      | data, bss, ksyms), 4K pages, |  (W^X: text RX,
 *                      | W^X                          |   rest NX)
 *   0xffffffff80000000 +------------------------------+  KERNEL_BASE
 *                      | (unused)                     |
 *   0xffff800000000000 +------------------------------+  PHYSMAP_BASE
 *                      | direct map of all physical   |  RW, NX, supervisor
 *                      | RAM (2M pages)               |
 *   0xffff800000000000 +------------------------------+
 *                      | non-canonical hole           |
 *   0x0000800000000000 +------------------------------+  USER_TOP
 *                      | default initial stack        |  USER_STACK_TOP
 *                      |   (USER_STACK_PAGES pages)   |
 *                      |   ...                        |
 *                      | program text/data (ELF)      |
 *   0x0000000000400000 +------------------------------+  default link address
 *                      | unmapped (NULL guard)        |
 *   0x0000000000000000 +------------------------------+
 */
#ifndef VENEER_MEMLAYOUT_H
#define VENEER_MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif

#define PAGE_SHIFT        12
#define PAGE_SIZE         (_UL(1) << PAGE_SHIFT)
#define LARGE_PAGE_SIZE   (_UL(1) << 21)

#define KERNEL_BASE       _UL(0xffffffff80000000) /* kernel image: virt = phys + this */
#define KERNEL_PHYS_LOAD  _UL(0x200000)           /* where the image is loaded */
#define PHYSMAP_BASE      _UL(0xffff800000000000) /* direct map of physical memory */
#define PHYSMAP_MAX       (_UL(1) << 39)          /* at most 512 GiB of RAM mapped */

#define USER_TOP          _UL(0x0000800000000000) /* first address past user space */
#define USER_STACK_TOP    _UL(0x00007fff00000000) /* default initial stack (first env) */
#define USER_STACK_PAGES  16
#define USER_LINK_BASE    _UL(0x0000000000400000) /* default program link address */

#endif
