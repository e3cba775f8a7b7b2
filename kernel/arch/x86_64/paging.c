/*
 * x86_64 4-level paging.  paging_init() replaces the boot tables with:
 *   - PML4[256]: physmap of usable RAM in 2 MiB pages, RW, NX, global;
 *   - PML4[511]: the kernel image in 4K pages, text RX, rodata and ksyms
 *     R+NX, data/bss RW+NX (W^X), global; the 32-bit boot stub unmapped.
 * All kernel-half PML4 entries are created here, once, so every address
 * space can share them by copying the upper 256 entries of kernel_pml4.
 * User mappings get P|W|U intermediate entries; rights live in the leaf.
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "../../boot_info.h"
#include "../../klib.h"
#include "../../panic.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "x86.h"

#define PTE_P   (1ul << 0)
#define PTE_W   (1ul << 1)
#define PTE_U   (1ul << 2)
#define PTE_PS  (1ul << 7)
#define PTE_G   (1ul << 8)
#define PTE_NX  (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul

#define PML4_IDX(va) (((va) >> 39) & 511)
#define PDPT_IDX(va) (((va) >> 30) & 511)
#define PD_IDX(va)   (((va) >> 21) & 511)
#define PT_IDX(va)   (((va) >> 12) & 511)

extern char kernel_text_start[], kernel_text_end[], kernel_rodata_end[], kernel_data_end[], kernel_end[];

static paddr_t kernel_pml4;

static paddr_t alloc_table(void)
{
    paddr_t pa = page_alloc();
    if (!pa)
        panic("paging: out of memory for kernel page tables");
    return pa;
}

/* Return the entry for va at the given level (3 = PML4 entry ... 0 = PT entry) under
 * root, creating intermediate tables with flags `inter` if create is set.
 * Returns NULL if a table is missing (or cannot be allocated). */
static uint64_t *walk(paddr_t root, vaddr_t va, int level, bool create, uint64_t inter)
{
    uint64_t *table = P2V(root);
    static const int shifts[] = {12, 21, 30, 39};
    for (int l = 3; l > level; l--) {
        uint64_t *e = &table[(va >> shifts[l]) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            paddr_t t = page_alloc();
            if (!t)
                return NULL;
            *e = t | inter;
        }
        if (*e & PTE_PS)
            return NULL;
        table = P2V(*e & PTE_ADDR);
    }
    return &table[(va >> shifts[level]) & 511];
}

static void map_kernel_range(vaddr_t start, vaddr_t end, uint64_t flags)
{
    for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t *pte = walk(kernel_pml4, va, 0, true, PTE_P | PTE_W);
        if (!pte)
            panic("paging: cannot map kernel image");
        *pte = (va - KERNEL_BASE) | flags;
    }
}

void paging_init(void)
{
    kernel_pml4 = alloc_table();
    uint64_t *pml4 = P2V(kernel_pml4);

    /* Every kernel-half PML4 entry exists from now on (shared by all). */
    for (int i = 256; i < 512; i++)
        pml4[i] = alloc_table() | PTE_P | PTE_W;

    /* Physmap of usable RAM, 2 MiB pages. */
    for (unsigned i = 0; i < boot_info.nregions; i++) {
        struct boot_region *r = &boot_info.regions[i];
        if (!r->usable)
            continue;
        paddr_t end = MIN(ROUND_UP(r->base + r->len, LARGE_PAGE_SIZE), PHYSMAP_MAX);
        for (paddr_t pa = ROUND_DOWN(r->base, LARGE_PAGE_SIZE); pa < end; pa += LARGE_PAGE_SIZE) {
            uint64_t *pde = walk(kernel_pml4, PHYSMAP_BASE + pa, 1, true, PTE_P | PTE_W);
            if (!pde)
                panic("paging: cannot build physmap");
            *pde = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
        }
    }

    /* Kernel image, W^X. */
    map_kernel_range((vaddr_t)kernel_text_start, (vaddr_t)kernel_text_end, PTE_P | PTE_G);
    map_kernel_range((vaddr_t)kernel_text_end, (vaddr_t)kernel_rodata_end, PTE_P | PTE_G | PTE_NX);
    map_kernel_range((vaddr_t)kernel_rodata_end, (vaddr_t)kernel_data_end, PTE_P | PTE_W | PTE_G | PTE_NX);
    map_kernel_range((vaddr_t)kernel_data_end, (vaddr_t)kernel_end, PTE_P | PTE_G | PTE_NX);

    write_cr4(read_cr4() | CR4_PGE);
    write_cr3(kernel_pml4);
}

int vm_space_init(struct vm_space *s)
{
    paddr_t root = page_alloc();
    if (!root)
        return -E_NOMEM;
    memcpy((uint64_t *)P2V(root) + 256, (uint64_t *)P2V(kernel_pml4) + 256, 256 * sizeof(uint64_t));
    s->root = root;
    return 0;
}

static void free_level(paddr_t table, int level, void (*release)(paddr_t))
{
    uint64_t *t = P2V(table);
    for (int i = 0; i < 512; i++) {
        if (!(t[i] & PTE_P))
            continue;
        if (level == 0)
            release(t[i] & PTE_ADDR);
        else
            free_level(t[i] & PTE_ADDR, level - 1, release);
    }
    page_free(table);
}

void vm_space_destroy(struct vm_space *s, void (*release)(paddr_t pa))
{
    uint64_t *pml4 = P2V(s->root);
    if (read_cr3() == s->root)
        write_cr3(kernel_pml4);
    for (int i = 0; i < 256; i++)
        if (pml4[i] & PTE_P)
            free_level(pml4[i] & PTE_ADDR, 2, release);
    page_free(s->root);
    s->root = 0;
}

int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned rights, paddr_t *old)
{
    if (va >= USER_TOP || va % PAGE_SIZE || pa % PAGE_SIZE)
        return -E_INVAL;
    uint64_t *pte = walk(s->root, va, 0, true, PTE_P | PTE_W | PTE_U);
    if (!pte)
        return -E_NOMEM;
    uint64_t e = pa | PTE_P;
    if (rights & VM_WRITE)
        e |= PTE_W;
    if (rights & VM_USER)
        e |= PTE_U;
    if (!(rights & VM_EXEC))
        e |= PTE_NX;
    if (old)
        *old = (*pte & PTE_P) ? (*pte & PTE_ADDR) : 0;
    bool was_present = *pte & PTE_P;
    *pte = e;
    if (was_present && read_cr3() == s->root)
        invlpg(va);
    return 0;
}

int vm_lookup(struct vm_space *s, vaddr_t va, paddr_t *pa, unsigned *rights)
{
    if (va >= USER_TOP)
        return -E_NOENT;
    uint64_t *pte = walk(s->root, va, 0, false, 0);
    if (!pte || !(*pte & PTE_P))
        return -E_NOENT;
    if (pa)
        *pa = *pte & PTE_ADDR;
    if (rights)
        *rights = ((*pte & PTE_W) ? VM_WRITE : 0) | ((*pte & PTE_NX) ? 0 : VM_EXEC) |
                  ((*pte & PTE_U) ? VM_USER : 0);
    return 0;
}

void vm_activate(struct vm_space *s)
{
    if (read_cr3() != s->root)
        write_cr3(s->root);
}
