/*
 * Hostile memory operations.  Each must fail with the right error while
 * this program, and the kernel, keep running: forged, stale, out-of-range,
 * wrong-type and revoked capabilities; mapping kernel, exposed or
 * non-canonical addresses; more rights than the capability grants; writing
 * the read-only page-table view and page records; kernel and unmapped
 * pointers to every pointer-taking syscall; deleting one's own anchor.
 */
#include "check.h"

int main(void);

static volatile uint64_t fault_addr;
static volatile uint64_t fault_err;

/* Writes below are `movq $1, (%rax)` (7 bytes): record and skip. */
static bool record_and_skip(struct vn_xframe *x)
{
    fault_addr = x->addr;
    fault_err = x->err;
    x->rip += 7;
    return true;
}

static void poke(uint64_t va)
{
    __asm__ volatile("movq $1, (%%rax)" : : "a"(va) : "memory");
}

static void test_bad_caps(void)
{
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info(CAPREF_MAKE(4000, 0), &ci), -E_BADCAP);     /* out of range */
    CHECK_EQ(vn_cap_info(-5, &ci), -E_BADCAP);                       /* negative */
    long tmp = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK_EQ(vn_cap_delete((capref_t)tmp), 0);                       /* empty slot, current gen */
    CHECK_EQ(vn_cap_info(CAPREF_MAKE(CAPREF_SLOT(tmp), CAPREF_GEN(tmp) + 1), &ci), -E_BADCAP);
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    CHECK_EQ(vn_cap_info(CAPREF_MAKE(CAPREF_SLOT(page), CAPREF_GEN(page) + 1), &ci), -E_BADCAP); /* forged gen */
    /* Wrong type: a page capability where an environment is expected. */
    struct vn_map_entry m = {vn_va_reserve(1), (capref_t)page, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map((capref_t)page, &m, 1), -E_TYPE);
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    /* Stale: delete, then use. */
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    CHECK_EQ(vn_cap_info((capref_t)page, &ci), -E_BADCAP);
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_BADCAP);
    CHECK(!(vn_pte(m.va) & 1));                  /* deleting it removed the mapping */
    CHECK_EQ(vn_cap_delete(CAP_SELF), -E_INVAL);
}

static void test_bad_mappings(void)
{
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    uint64_t kernel_vas[] = {0xffffffff80200000ul, 0xffff800000000000ul, 0x0000900000000000ul,
                             VN_UVPT, VN_UVPT + 0x1000, VN_ENVINFO, VN_SYSINFO, VN_PAGEINFO,
                             USER_TOP, 0x1001 /* unaligned */};
    for (unsigned i = 0; i < sizeof(kernel_vas) / sizeof(kernel_vas[0]); i++) {
        struct vn_map_entry m = {kernel_vas[i], (capref_t)page, VM_PROT_WRITE, 0};
        CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_INVAL);
    }
    struct vn_map_entry m = {vn_va_reserve(1), (capref_t)page, VM_PROT_WRITE, 1};   /* index past end */
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_RANGE);
    m.index = 0;
    m.prot = 0x80;
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_INVAL);
    /* More rights than the capability grants. */
    long ro = vn_cap_derive((capref_t)page, CR_READ | CR_MAP);
    CHECK(ro > 0);
    CHECK_EQ(vn_cap_derive((capref_t)ro, CR_READ | CR_WRITE), -E_PERM);
    m = (struct vn_map_entry){vn_va_reserve(1), (capref_t)ro, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_PERM);
    m.prot = VM_PROT_READ;
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    CHECK_EQ(vn_page_protect(CAP_SELF, m.va, 1, VM_PROT_WRITE), -E_PERM);
    long nomap = vn_cap_derive((capref_t)page, CR_READ);
    m.cap = (capref_t)nomap;
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_PERM);
    /* A batch with one bad entry changes nothing. */
    struct vn_map_entry batch[3] = {
        {vn_va_reserve(1), (capref_t)page, VM_PROT_WRITE, 0},
        {vn_va_reserve(1), (capref_t)page, VM_PROT_WRITE, 0},
        {0xffffffff80000000ul, (capref_t)page, VM_PROT_WRITE, 0},
    };
    CHECK_EQ(vn_page_map(CAP_SELF, batch, 3), -E_INVAL);
    CHECK(!(vn_pte(batch[0].va) & 1) && !(vn_pte(batch[1].va) & 1));
    CHECK_EQ(vn_page_map(CAP_SELF, batch, 0), -E_INVAL);
    CHECK_EQ(vn_page_map(CAP_SELF, batch, VN_MAP_BATCH_MAX + 1), -E_INVAL);
    /* Revoking the page removes the read-only mapping made through ro. */
    CHECK(vn_pte(m.va) & 1);
    CHECK_EQ(vn_cap_revoke((capref_t)page), 0);
    CHECK(!(vn_pte(m.va) & 1));
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    /* Unmap/protect of kernel ranges. */
    CHECK_EQ(vn_page_unmap(CAP_SELF, 0xffffffff80000000ul, 1), -E_INVAL);
    CHECK_EQ(vn_page_unmap(CAP_SELF, VN_UVPT, 1), -E_INVAL);
    CHECK_EQ(vn_page_protect(CAP_SELF, VN_PAGEINFO, 1, VM_PROT_WRITE), -E_INVAL);
    CHECK_EQ(vn_page_protect(CAP_SELF, vn_va_reserve(1), 1, VM_PROT_WRITE), -E_NOENT);
    CHECK_EQ(vn_page_alloc(CAP_SELF, 0x1000, 1), -E_BUSY);         /* firmware page */
    CHECK_EQ(vn_page_alloc(CAP_SELF, 0x1234, 1), -E_INVAL);
    CHECK_EQ(vn_page_alloc(CAP_SELF, 1ul << 45, 1), -E_RANGE);
    CHECK_EQ(vn_page_alloc(CAP_SELF, 0, 0), -E_INVAL);
}

static void test_exposed_read_only(void)
{
    vn_exception_handler(NULL);
    vn_pgfault_register(record_and_skip);
    /* Reading works... */
    CHECK(vn_envinfo->envid != 0);
    CHECK(vn_sysinfo->free_pages > 0 && vn_sysinfo->npages > vn_sysinfo->free_pages);
    uint64_t pte = vn_pte((uint64_t)&fault_addr);
    CHECK(pte & 1);
    CHECK(vn_pageinfo[(pte & 0xffffffffff000ul) >> 12].owner == vn_envinfo->envid);
    /* ...writing faults, every time. */
    uint64_t targets[] = {VN_PTE_ADDR((uint64_t)&fault_addr), VN_PML4E_ADDR(0ul), VN_ENVINFO,
                          VN_SYSINFO, VN_PAGEINFO, 0xffffffff80200000ul};
    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        fault_addr = 0;
        poke(targets[i]);
        CHECK(fault_addr == targets[i]);
        CHECK(fault_err & PF_WRITE);
    }
    CHECK(vn_pte((uint64_t)&fault_addr) == pte);
    vn_pgfault_unregister(record_and_skip);
}

/* Regression (found by the fuzzer): remapping an address in place charged
 * binding records twice, so teardown found the env still charged. */
static void test_remap_accounting(void)
{
    uint64_t held0 = vn_envinfo->held;
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    uint64_t base = vn_va_reserve(200);
    struct vn_map_entry m = {base, (capref_t)page, VM_PROT_WRITE, 0};
    for (int i = 0; i < 200; i++) {             /* 200 distinct addresses */
        m.va = base + (uint64_t)i * PAGE_SIZE;
        CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    }
    uint64_t held1 = vn_envinfo->held;
    for (int round = 0; round < 3; round++)     /* the same addresses again, in place */
        for (int i = 0; i < 200; i++) {
            m.va = base + (uint64_t)i * PAGE_SIZE;
            CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
        }
    CHECK_EQ(vn_envinfo->held, held1);
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    CHECK(vn_envinfo->held <= held0 + 3);       /* page tables for the new range stay */
}

static void test_bad_pointers(void)
{
    uint64_t bad[] = {0, 0xffffffff80200000ul, 0xffff800000001000ul, 0x0000900000000000ul,
                      0x10000000ul, VN_UVPT_END - 8, USER_TOP - 4};
    long child = vn_env_create(64, "ptr-victim");
    CHECK(child > 0);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(vn_cap_info(CAP_SELF, (struct vn_capinfo *)bad[i]), -E_FAULT);
        CHECK_EQ(vn_page_map(CAP_SELF, (struct vn_map_entry *)bad[i], 1), -E_FAULT);
        CHECK_EQ(vn_env_set_regs((capref_t)child, (struct vn_regs *)bad[i]), -E_FAULT);
        CHECK_EQ(vn_cons_write((const char *)bad[i], 8), -E_FAULT);
        if (bad[i])
            CHECK_EQ(vn_env_create(64, (const char *)bad[i]), -E_FAULT);
    }
    /* Writes to read-only memory count as bad pointers for output buffers. */
    CHECK_EQ(vn_cap_info(CAP_SELF, (struct vn_capinfo *)VN_ENVINFO), -E_FAULT);
    CHECK_EQ(vn_cap_info(CAP_SELF, (struct vn_capinfo *)(uint64_t)&main), -E_FAULT);
    CHECK_EQ(vn_cap_delete((capref_t)child), 0);
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    uint64_t free0 = vn_sysinfo->free_pages;
    test_bad_caps();
    test_bad_mappings();
    test_exposed_read_only();
    test_remap_accounting();
    test_bad_pointers();
    printf("mem_hostile: free pages %lu at start, %lu now\n", free0, vn_sysinfo->free_pages);
    CHECK(free0 - vn_sysinfo->free_pages <= 3);    /* page tables of the remap test */
    return check_done("mem_hostile");
}
