/*
 * x86_64 4-level paging.  paging_init() replaces the boot tables with:
 *   - PML4[256]: physmap of usable RAM (2 MiB pages where possible), RW,
 *     NX, global, except the kernel's text and rodata frames (read-only);
 *   - PML4[511]: the kernel image in 4K pages, text RX, rodata and ksyms
 *     R+NX, data/bss RW+NX (W^X), global; the 32-bit boot stub unmapped.
 * All kernel-half PML4 entries are created here, once, so every address
 * space can share them by copying the upper 256 entries of kernel_pml4.
 * User mappings get P|W|U intermediate entries; rights live in the leaf.
 * Each user address space also gets, read-only: its own page tables at
 * VN_UVPT (PML4 slot 254 points at the PML4 itself, without W), and the
 * exposed kernel data in slot 253 (a private envinfo page and the shared
 * PD with the system info page and the page records).  Page-table pages
 * of user address spaces are charged to the owner's quota and are only
 * freed with the address space, so the UVPT window never shows a page
 * that was reused.
 */
#include <veneer/errors.h>
#include "../../arch.h"
#include "../../boot_info.h"
#include "../../klib.h"
#include "../../panic.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "tlb.h"
#include "x86.h"

#define PTE_P   (1ul << 0)
#define PTE_W   (1ul << 1)
#define PTE_U   (1ul << 2)
#define PTE_PWT (1ul << 3)
#define PTE_PCD (1ul << 4)
#define PTE_PS  (1ul << 7)
#define PTE_G   (1ul << 8)
#define PTE_NX  (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul

#define PML4_IDX(va) (((va) >> 39) & 511)
#define PDPT_IDX(va) (((va) >> 30) & 511)
#define PD_IDX(va)   (((va) >> 21) & 511)
#define PT_IDX(va)   (((va) >> 12) & 511)

extern char kernel_phys_start[], kernel_text_start[], kernel_text_end[], kernel_rodata_end[], kernel_data_end[], kernel_end[];

#define KERNEL_OWNER ((void *)1)   /* walk(): kernel tables, not charged */

static paddr_t kernel_pml4;
static paddr_t exposed_pd;          /* shared: VN_SYSINFO and VN_PAGEINFO */

static paddr_t alloc_table(void)
{
    paddr_t pa = page_alloc();
    if (!pa)
        panic("paging: out of memory for kernel page tables");
    return pa;
}

/* Return the entry for va at the given level (3 = PML4 entry ... 0 = PT entry) under
 * root, creating intermediate tables with flags `inter` if create is set.
 * Tables are created (charged to `create`, an owner, or KERNEL_OWNER) when
 * create is non-NULL.  Returns NULL if a table is missing or cannot be had. */
static uint64_t *walk(paddr_t root, vaddr_t va, int level, void *create, uint64_t inter)
{
    uint64_t *table = P2V(root);
    static const int shifts[] = {12, 21, 30, 39};
    for (int l = 3; l > level; l--) {
        uint64_t *e = &table[(va >> shifts[l]) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            paddr_t t = create == KERNEL_OWNER ? page_alloc() : vm_table_alloc(create);
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
        uint64_t *pte = walk(kernel_pml4, va, 0, KERNEL_OWNER, PTE_P | PTE_W);
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

    /* Physmap of usable RAM: 2 MiB pages where a whole aligned 2 MiB is
     * RAM and holds no kernel code, 4K pages elsewhere, so no device
     * memory is mapped cacheable and the kernel's text and read-only data
     * have no writable alias. */
    paddr_t ro_start = (paddr_t)kernel_phys_start, ro_end = KV2P(kernel_rodata_end);
    for (unsigned i = 0; i < boot_info.nregions; i++) {
        struct boot_region *r = &boot_info.regions[i];
        if (!r->usable)
            continue;
        paddr_t start = ROUND_UP(r->base, PAGE_SIZE), end = MIN(ROUND_DOWN(r->base + r->len, PAGE_SIZE), PHYSMAP_MAX);
        for (paddr_t pa = start; pa < end;) {
            bool whole = pa % LARGE_PAGE_SIZE == 0 && pa + LARGE_PAGE_SIZE <= end &&
                         (pa + LARGE_PAGE_SIZE <= ro_start || pa >= ro_end);
            bool ro = !whole && pa >= ro_start && pa < ro_end;
            uint64_t *e = walk(kernel_pml4, PHYSMAP_BASE + pa, whole, KERNEL_OWNER, PTE_P | PTE_W);
            if (!e)
                panic("paging: cannot build physmap");
            *e = pa | PTE_P | (ro ? 0 : PTE_W) | (whole ? PTE_PS : 0) | PTE_G | PTE_NX;
            pa += whole ? LARGE_PAGE_SIZE : PAGE_SIZE;
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

void paging_expose_init(paddr_t sysinfo_pa, paddr_t info_pa, uint64_t info_pages)
{
    /* One PD covers the 1 GiB from VN_SYSINFO; shared by every address space. */
    exposed_pd = alloc_table();
    uint64_t *pd = P2V(exposed_pd);
    const uint64_t flags = PTE_P | PTE_U | PTE_NX;
    if (VN_PAGEINFO + info_pages * PAGE_SIZE > VN_SYSINFO + (1ul << 30))
        panic("paging: page records do not fit the exposed window");
    for (uint64_t i = 0; i <= info_pages; i++) {
        vaddr_t va = i == 0 ? VN_SYSINFO : VN_PAGEINFO + (i - 1) * PAGE_SIZE;
        paddr_t pa = i == 0 ? sysinfo_pa : info_pa + (i - 1) * PAGE_SIZE;
        uint64_t *pde = &pd[PD_IDX(va)];
        if (!(*pde & PTE_P))
            *pde = alloc_table() | PTE_P | PTE_U;
        ((uint64_t *)P2V(*pde & PTE_ADDR))[PT_IDX(va)] = pa | flags;
    }
}

/* A translation of va in s changed: drop it from every CPU's TLB before
 * the old frame can be reused. */
static void flush(struct vm_space *s, vaddr_t va)
{
    struct percpu *c = this_cpu();
    if (c->loaded_vm == s)
        invlpg(va);
    if (s->batching) {
        if (s->nbatched < VM_BATCH_VAS)
            s->batched[s->nbatched] = va;
        s->nbatched++;
        return;
    }
    tlb_shootdown(s->cpus & ~(1ul << c->id), va);
}

void vm_flush_batch_begin(struct vm_space *s) { s->batching++; }

void vm_flush_batch_end(struct vm_space *s)
{
    if (--s->batching)
        return;
    uint64_t others = s->cpus & ~(1ul << this_cpu()->id);
    if (s->nbatched > VM_BATCH_VAS)
        tlb_shootdown(others, TLB_FLUSH_ALL);
    else
        for (unsigned i = 0; i < s->nbatched; i++)
            tlb_shootdown(others, s->batched[i]);
    s->nbatched = 0;
}

int vm_space_init(struct vm_space *s, void *owner, paddr_t envinfo_pa)
{
    paddr_t t[4];       /* PML4, exposed PDPT, its PD and PT */
    for (int i = 0; i < 4; i++) {
        if (!(t[i] = vm_table_alloc(owner))) {
            while (i--)
                vm_table_free(owner, t[i]);
            return -E_NOMEM;
        }
    }
    uint64_t *pml4 = P2V(t[0]);
    memcpy(pml4 + 256, (uint64_t *)P2V(kernel_pml4) + 256, 256 * sizeof(uint64_t));
    pml4[VN_UVPT_SLOT] = t[0] | PTE_P | PTE_U | PTE_NX;            /* read-only window */
    pml4[PML4_IDX(VN_EXPOSED_BASE)] = t[1] | PTE_P | PTE_U;
    ((uint64_t *)P2V(t[1]))[PDPT_IDX(VN_ENVINFO)] = t[2] | PTE_P | PTE_U;
    ((uint64_t *)P2V(t[1]))[PDPT_IDX(VN_SYSINFO)] = exposed_pd | PTE_P | PTE_U;
    ((uint64_t *)P2V(t[2]))[PD_IDX(VN_ENVINFO)] = t[3] | PTE_P | PTE_U;
    ((uint64_t *)P2V(t[3]))[PT_IDX(VN_ENVINFO)] = envinfo_pa | PTE_P | PTE_U | PTE_NX;
    s->root = t[0];
    s->owner = owner;
    s->cpus = 0;
    s->batching = s->nbatched = 0;
    return 0;
}

void vm_space_destroy(struct vm_space *s, void (*release)(void *ctx, vaddr_t va, paddr_t pa), void *ctx)
{
    uint64_t *pml4 = P2V(s->root);
    if (this_cpu()->loaded_vm == s)
        vm_deactivate();
    if (s->cpus)
        panic("vm_space_destroy: address space still loaded on CPUs %lx", s->cpus);
    for (uint64_t i4 = 0; i4 < 256; i4++) {
        if (!(pml4[i4] & PTE_P) || i4 == VN_UVPT_SLOT)
            continue;
        uint64_t *pdpt = P2V(pml4[i4] & PTE_ADDR);
        bool exposed = i4 == PML4_IDX(VN_EXPOSED_BASE);
        for (uint64_t i3 = 0; i3 < 512; i3++) {
            if (!(pdpt[i3] & PTE_P) || (exposed && i3 == PDPT_IDX(VN_SYSINFO)))
                continue;
            uint64_t *pd = P2V(pdpt[i3] & PTE_ADDR);
            for (uint64_t i2 = 0; i2 < 512; i2++) {
                if (!(pd[i2] & PTE_P))
                    continue;
                uint64_t *pt = P2V(pd[i2] & PTE_ADDR);
                for (uint64_t i1 = 0; i1 < 512 && !exposed; i1++)
                    if (pt[i1] & PTE_P)
                        release(ctx, i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12, pt[i1] & PTE_ADDR);
                vm_table_free(s->owner, pd[i2] & PTE_ADDR);
            }
            vm_table_free(s->owner, pdpt[i3] & PTE_ADDR);
        }
        vm_table_free(s->owner, pml4[i4] & PTE_ADDR);
    }
    vm_table_free(s->owner, s->root);
    s->root = 0;
}

/* The leaf entry bits of VM_* rights; VM_UNCACHED is PAT entry 3 (UC
 * with the reset PAT). */
static uint64_t pte_bits(unsigned rights)
{
    return PTE_P | ((rights & VM_USER) ? PTE_U : 0) | ((rights & VM_WRITE) ? PTE_W : 0) |
           ((rights & VM_EXEC) ? 0 : PTE_NX) | ((rights & VM_UNCACHED) ? PTE_PCD | PTE_PWT : 0);
}

/* The present leaf entry of user address va in s, or NULL. */
static uint64_t *user_pte(struct vm_space *s, vaddr_t va)
{
    uint64_t *pte = VN_USER_MAPPABLE(va) ? walk(s->root, va, 0, NULL, 0) : NULL;
    return pte && (*pte & PTE_P) ? pte : NULL;
}

int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned rights, paddr_t *old)
{
    if (!VN_USER_MAPPABLE(va) || va % PAGE_SIZE || pa % PAGE_SIZE)
        return -E_INVAL;
    uint64_t *pte = walk(s->root, va, 0, s->owner, PTE_P | PTE_W | PTE_U);
    if (!pte)
        return -E_NOMEM;
    bool was_present = *pte & PTE_P;
    if (old)
        *old = was_present ? (*pte & PTE_ADDR) : 0;
    *pte = pa | pte_bits(rights);
    if (was_present)
        flush(s, va);
    return 0;
}

int vm_unmap(struct vm_space *s, vaddr_t va, paddr_t *pa)
{
    uint64_t *pte = user_pte(s, va);
    if (!pte)
        return -E_NOENT;
    *pa = *pte & PTE_ADDR;
    *pte = 0;
    flush(s, va);
    return 0;
}

int vm_protect(struct vm_space *s, vaddr_t va, unsigned rights)
{
    uint64_t *pte = user_pte(s, va);
    if (!pte)
        return -E_NOENT;
    *pte = (*pte & PTE_ADDR) | pte_bits(rights);
    flush(s, va);
    return 0;
}

void *vm_leaf_table(struct vm_space *s, vaddr_t va)
{
    uint64_t *pte = VN_USER_MAPPABLE(va) ? walk(s->root, va, 0, NULL, 0) : NULL;
    return pte ? pte - ((va >> 12) & 511) : NULL;
}

bool vm_leaf_all_present(void *leaf, vaddr_t va, size_t n)
{
    if (!leaf)
        return false;
    uint64_t *pte = (uint64_t *)leaf + ((va >> 12) & 511), all = PTE_P;
    for (size_t i = 0; i < n; i++)
        all &= pte[i];
    return all & PTE_P;
}

void vm_leaf_protect(struct vm_space *s, void *leaf, vaddr_t va, size_t n, unsigned rights)
{
    uint64_t *pte = (uint64_t *)leaf + ((va >> 12) & 511), bits = pte_bits(rights & (VM_USER | VM_WRITE | VM_EXEC));
    for (size_t i = 0; i < n; i++, va += PAGE_SIZE) {
        pte[i] = (pte[i] & (PTE_ADDR | PTE_PCD | PTE_PWT)) | bits;
        flush(s, va);
    }
}

/* Map [pa, pa + len) into the physmap with the given extra PTE flags,
 * leaving pages already there alone.  Errors: -E_NOMEM, -E_RANGE. */
static int map_phys(paddr_t pa, uint64_t len, uint64_t flags)
{
    if (pa + len > PHYSMAP_MAX || pa + len < pa)
        return -E_RANGE;
    for (paddr_t p = ROUND_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE) {
        if (vm_kernel_rights(PHYSMAP_BASE + p) >= 0)
            continue;
        uint64_t *pte = walk(kernel_pml4, PHYSMAP_BASE + p, 0, KERNEL_OWNER, PTE_P | PTE_W);
        if (!pte)
            return -E_NOMEM;
        *pte = p | PTE_P | PTE_W | PTE_G | PTE_NX | flags;
    }
    return 0;
}

paddr_t paging_kernel_root(void) { return kernel_pml4; }

int vm_kernel_map_phys(paddr_t pa, uint64_t len) { return map_phys(pa, len, 0); }
int vm_kernel_map_mmio(paddr_t pa, uint64_t len) { return map_phys(pa, len, PTE_PCD | PTE_PWT); }

int vm_kernel_rights(vaddr_t va)
{
    uint64_t *pml4 = P2V(kernel_pml4);
    uint64_t e = pml4[PML4_IDX(va)], nx = 0, w = PTE_W;
    for (int shift = 30; shift >= 12; shift -= 9) {
        if (!(e & PTE_P))
            return -1;
        nx |= e & PTE_NX;
        w &= e;
        if (shift < 30 && (e & PTE_PS))
            break;
        e = ((uint64_t *)P2V(e & PTE_ADDR))[(va >> shift) & 511];
        if (shift == 30 && (e & PTE_PS))
            break;
    }
    if (!(e & PTE_P))
        return -1;
    nx |= e & PTE_NX;
    w &= e;
    return (w ? VM_WRITE : 0) | (nx ? 0 : VM_EXEC);
}

bool vm_table_present(struct vm_space *s, vaddr_t va)
{
    return walk(s->root, va, 0, NULL, 0) != NULL;
}

int vm_lookup(struct vm_space *s, vaddr_t va, paddr_t *pa, unsigned *rights)
{
    uint64_t *pte = user_pte(s, va);
    if (!pte)
        return -E_NOENT;
    if (pa)
        *pa = *pte & PTE_ADDR;
    if (rights)
        *rights = ((*pte & PTE_W) ? VM_WRITE : 0) | ((*pte & PTE_NX) ? 0 : VM_EXEC) |
                  ((*pte & PTE_U) ? VM_USER : 0) | ((*pte & PTE_PCD) ? VM_UNCACHED : 0);
    return 0;
}

/* Load s on this CPU (NULL: the kernel's tables alone). */
static void load(struct vm_space *s)
{
    struct percpu *c = this_cpu();
    if (c->loaded_vm == s)
        return;
    if (c->loaded_vm)   /* atomic: the shared tier's IPC loads spaces too (under their locks) */
        __atomic_fetch_and(&c->loaded_vm->cpus, ~(1ul << c->id), __ATOMIC_RELAXED);
    if (s)
        __atomic_fetch_or(&s->cpus, 1ul << c->id, __ATOMIC_RELAXED);
    c->loaded_vm = s;
    write_cr3(s ? s->root : kernel_pml4);
}

void vm_activate(struct vm_space *s) { load(s); }
void vm_deactivate(void) { load(NULL); }

bool arch_user_can_access(uint64_t va, bool write)
{
    /* Read through the environment's own page-table window (VN_UVPT), the
     * view a libOS gets, as user memory (SMAP). */
    const uint64_t view[4] = {VN_PML4E_ADDR(va), VN_PDPTE_ADDR(va), VN_PDE_ADDR(va), VN_PTE_ADDR(va)};
    uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
    for (int level = 0; level < 4; level++) {
        uint64_t e = 0;
        if (arch_copy_user(&e, (const void *)view[level], sizeof(e)) < 0 || (e & need) != need)
            return false;
        if ((level == 1 || level == 2) && (e & PTE_PS))
            return true;    /* a large page ends the walk */
    }
    return true;
}
