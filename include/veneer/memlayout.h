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
 *   0xffff808000000000 +------------------------------+  PHYSMAP_BASE + PHYSMAP_MAX
 *                      | direct map of all physical   |  RW, NX, supervisor
 *                      | RAM (2M pages where it can)  |
 *   0xffff800000000000 +------------------------------+  PHYSMAP_BASE
 *                      | non-canonical hole           |
 *   0x0000800000000000 +------------------------------+  USER_TOP
 *                      | user-mappable (PML4 slot 255)|
 *   0x00007f8000000000 +------------------------------+
 *                      | UVPT: this address space's   |  read-only window on
 *                      | page tables (slot 254)       |  its own page tables
 *   0x00007f0000000000 +------------------------------+  VN_UVPT
 *                      | exposed kernel data (253):   |  read-only
 *                      |  VN_PAGEINFO page records    |  shared by all
 *   0x00007e8040200000 |  VN_SYSINFO  system counters |  shared by all
 *   0x00007e8040000000 |  VN_ENVINFO  this env's page |  private
 *   0x00007e8000000000 +------------------------------+  VN_EXPOSED_BASE
 *                      | user-mappable                |
 *   0x00007e0000000000 | default initial stack        |  USER_STACK_TOP
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
#define USER_STACK_TOP    _UL(0x00007e0000000000) /* default initial stack (first env) */
#define USER_STACK_PAGES  16
#define VN_EXPOSED_BASE   _UL(0x00007e8000000000) /* PML4 slot 253: exposed data */
#define VN_EXPOSED_END    _UL(0x00007f0000000000)
#define VN_ENVINFO        _UL(0x00007e8000000000) /* struct vn_envinfo (private) */
#define VN_SYSINFO        _UL(0x00007e8040000000) /* struct vn_sysinfo (shared) */
#define VN_PAGEINFO       _UL(0x00007e8040200000) /* struct vn_page_info[] (shared) */
#define VN_UVPT           _UL(0x00007f0000000000) /* PML4 slot 254: page-table window */
#define VN_UVPT_SLOT      254
#define VN_UVPT_END       _UL(0x00007f8000000000)

/* Read-only views of this address space's page-table entries for va. */
#define VN_PTE_ADDR(va)   (VN_UVPT + (((va) >> 12) & _UL(0xfffffffff)) * 8)
#define VN_PDE_ADDR(va)   (VN_UVPT + ((unsigned long)VN_UVPT_SLOT << 30) + (((va) >> 21) & _UL(0x7ffffff)) * 8)
#define VN_PDPTE_ADDR(va) (VN_UVPT + ((unsigned long)VN_UVPT_SLOT << 30) + ((unsigned long)VN_UVPT_SLOT << 21) + \
                           (((va) >> 30) & _UL(0x3ffff)) * 8)
#define VN_PML4E_ADDR(va) (VN_UVPT + ((unsigned long)VN_UVPT_SLOT << 30) + ((unsigned long)VN_UVPT_SLOT << 21) + \
                           ((unsigned long)VN_UVPT_SLOT << 12) + (((va) >> 39) & _UL(0x1ff)) * 8)

/* Whether a libOS may map a page at user address va. */
#define VN_USER_MAPPABLE(va) ((va) < VN_EXPOSED_BASE || ((va) >= VN_UVPT_END && (va) < USER_TOP))

#define USER_LINK_BASE    _UL(0x0000000000400000) /* default program link address */

#endif
