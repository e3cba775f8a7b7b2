/*
 * TLB shootdown.  A second virtual CPU of this address space (a vCPU
 * environment) spins reading a page on another CPU while this one unmaps
 * it, frees it, and reuses the memory.  After page_unmap returns, the vCPU
 * must fault on its next access; reading the old frame through a stale
 * translation is a failure.  Repeated for several rounds.
 */
#include "check.h"

#define ROUNDS 12

static volatile uint64_t *page;     /* the page being unmapped */
static volatile uint64_t *ctl;      /* [0] unmapped, [1] vCPU state, [2] reads, [3] value seen */

enum { V_SPINNING = 1, V_FAULTED = 2, V_STALE = 3 };

/* The vCPU's exception upcall: entered with rdi = the frame. */
__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_fault(struct vn_xframe *x)
{
    ctl[1] = (x->trapno == 14 && x->addr == (uint64_t)page) ? V_FAULTED : 99;
    vn_env_exit(0);
    for (;;)
        ;
}

__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_main(void)
{
    ctl[1] = V_SPINNING;
    for (;;) {
        uint64_t unmapped = ctl[0];
        uint64_t v = page[0];
        ctl[2]++;
        if (unmapped) {         /* the read above should have faulted */
            ctl[3] = v;
            ctl[1] = V_STALE;
            vn_env_exit(1);
        }
    }
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    ctl = vn_alloc_pages(1);
    uint64_t *vstack = vn_alloc_pages(4), *xstack = vn_alloc_pages(2);
    int stale = 0, faulted = 0;
    for (int round = 0; round < ROUNDS; round++) {
        page = vn_alloc_pages(1);
        page[0] = 0xabcdef;
        ctl[0] = ctl[1] = ctl[2] = ctl[3] = 0;
        long v = vn_env_create_vcpu(16, "vcpu");
        CHECK(v > 0);
        CHECK_EQ(vn_env_set_upcall((capref_t)v, UPCALL_EXCEPTION, (uint64_t)vcpu_fault, (uint64_t)xstack,
                                   2 * PAGE_SIZE), 0);
        struct vn_regs regs = {.rip = (uint64_t)vcpu_main, .rsp = (uint64_t)vstack + 4 * PAGE_SIZE - 8};
        CHECK_EQ(vn_env_set_regs((capref_t)v, &regs), 0);
        CHECK_EQ(vn_env_start((capref_t)v), 0);
        /* Wait until it is spinning on the page. */
        CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)&ctl[1], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
        uint64_t r0 = ctl[2];
        while (ctl[2] < r0 + 1000)
            ;
        /* Unmap, announce, free and reuse the memory. */
        CHECK_EQ(vn_page_unmap(CAP_SELF, (uint64_t)page, 1), 1);
        ctl[0] = 1;
        capref_t c = vn_page_cap((uint64_t)page);
        CHECK_EQ(vn_cap_delete(c), 0);
        volatile uint64_t *reuse = vn_alloc_pages(8);
        for (int i = 0; reuse && i < 8; i++)
            reuse[i * 512] = 0x5ca1ab1e;
        CHECK_EQ(vn_wait((capref_t)v), ctl[1] == V_STALE ? 1 : 0);
        stale += ctl[1] == V_STALE;
        faulted += ctl[1] == V_FAULTED;
        if (ctl[1] == V_STALE)
            printf("cpu_tlb: round %d: STALE read of %lx after unmap\n", round, ctl[3]);
        if (reuse)
            vn_unmap_free((uint64_t)reuse, 8);
    }
    printf("cpu_tlb: %d rounds, %d clean faults, %d stale reads, on %lu CPUs\n", ROUNDS, faulted, stale,
           vn_sysinfo->ncpus);
    CHECK(stale == 0 && faulted == ROUNDS);
    return check_done("cpu_tlb");
}
