/*
 * Hostile regression (issue 12, hole 6): page_protect must not grant more
 * than the mapping was made with.
 *
 * We map a page of ours read-only into a child, through a capability we
 * keep (with CR_WRITE).  The child holds no capability to that page.  At
 * ae6c817 page_protect checked CR_WRITE on the capability behind the
 * mapping, ours, so the child made the mapping writable and wrote our
 * page.  A binding must carry the most it may be granted: the child's
 * page_protect to writable gets E_PERM and the page stays read-only (its
 * write faults; our page is unchanged).  A range mixing one of its own
 * pages with ours is refused whole.
 *
 * What must keep working: mappings an environment makes in its own space
 * with its own writable capability can be made read-only and writable
 * again (checked here and in the child).
 *
 * Modes (arg0): 0 the test; 1 the child, arg1 = where our page is mapped
 * in it; it reports in its VN_CAP_SPAWN_SHARE page: [0] protect result,
 * [1] PTE after it, [2] whether its write faulted, [3] protect W|X
 * result, [4] mixed-range result, [5] its own page's PTE after that, [6]
 * own page made writable again, [7] the value it read, [8] done.
 */
#include "check.h"

#define PATTERN  0x0123456789abcdeful
#define CHILD_VA 0x0000300000000000ul   /* where the child sees our page (its own page just below) */
#define PTE_W    0x2ul

static volatile uint64_t *report;
static volatile int faulted;

/* One store at probe_store (rax to (rdi), 3 bytes), skipped if it faults. */
__attribute__((noinline)) static bool try_write(volatile uint64_t *p, uint64_t v)
{
    faulted = 0;
    __asm__ volatile(".globl probe_store\nprobe_store: movq %%rax, (%%rdi)\n" : : "D"(p), "a"(v) : "memory");
    return !faulted;
}

extern char probe_store[];

static bool probe_fault(struct vn_xframe *x)
{
    if (x->trapno != 14 || x->rip != (uint64_t)probe_store)
        return false;
    faulted = 1;
    x->rip += 3;
    return true;
}

static int child(uint64_t va)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 2;
    report = (volatile uint64_t *)m.va;
    if (vn_upcalls_init() < 0 || vn_pgfault_register(probe_fault) < 0)
        return 3;
    volatile uint64_t *theirs = (volatile uint64_t *)va, *own = (volatile uint64_t *)(va - PAGE_SIZE);
    if (vn_map_fresh(va - PAGE_SIZE, 1, VM_PROT_WRITE) < 0)
        return 4;
    report[7] = theirs[0];                                          /* readable */
    report[0] = (uint64_t)vn_page_protect(CAP_SELF, va, 1, VM_PROT_WRITE);
    report[1] = vn_pte(va);
    report[2] = !try_write(theirs, 0xbadbadbadul);
    report[3] = (uint64_t)vn_page_protect(CAP_SELF, va, 1, VM_PROT_WRITE | VM_PROT_EXEC);
    /* Our own page read-only, then a range over both made writable. */
    if (vn_page_protect(CAP_SELF, va - PAGE_SIZE, 1, VM_PROT_READ) < 0)
        return 5;
    report[4] = (uint64_t)vn_page_protect(CAP_SELF, va - PAGE_SIZE, 2, VM_PROT_WRITE);
    report[5] = vn_pte(va - PAGE_SIZE);
    /* Our own mapping, our own writable capability: writable again. */
    report[6] = (uint64_t)vn_page_protect(CAP_SELF, va - PAGE_SIZE, 1, VM_PROT_WRITE);
    own[0] = 1;
    report[8] = 1;
    return 0;
}

/* In our own space: protect read-only, then writable again. */
static void own_space(void)
{
    long p = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(p > 0);
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)p, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    *(volatile uint64_t *)va = 1;
    CHECK_EQ(vn_page_protect(CAP_SELF, va, 1, VM_PROT_READ), 0);
    CHECK(!(vn_pte(va) & PTE_W));
    CHECK_EQ(vn_page_protect(CAP_SELF, va, 1, VM_PROT_WRITE), 0);
    CHECK(vn_pte(va) & PTE_W);
    *(volatile uint64_t *)va = 2;
    CHECK_EQ(*(volatile uint64_t *)va, 2);
    CHECK_EQ(vn_cap_delete((capref_t)p), 0);
    /* The same with pages from libveneer's allocator, in a run. */
    volatile uint64_t *run = vn_alloc_pages(4);
    CHECK(run != NULL);
    CHECK_EQ(vn_page_protect(CAP_SELF, (uint64_t)run, 4, VM_PROT_READ), 0);
    CHECK_EQ(vn_page_protect(CAP_SELF, (uint64_t)run, 4, VM_PROT_WRITE), 0);
    run[3 * 512] = 3;
    vn_unmap_free((uint64_t)run, 4);
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    if (mode == 1)
        return child(arg);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    own_space();

    /* Our page, writable for us, read-only in the child. */
    long p = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(p > 0);
    volatile uint64_t *ours = (volatile uint64_t *)vn_va_reserve(1);
    struct vn_map_entry m = {(uint64_t)ours, (capref_t)p, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    ours[0] = PATTERN;
    volatile uint64_t *rep = vn_alloc_pages(1);
    capref_t c = vn_spawn_share_stopped("mem_protect_escalate", 128, 1, CHILD_VA, vn_page_cap((uint64_t)rep),
                                        CR_READ | CR_WRITE | CR_MAP, 0);
    CHECK(c > 0);
    m = (struct vn_map_entry){CHILD_VA, (capref_t)p, VM_PROT_READ, 0};
    CHECK_EQ(vn_page_map(c, &m, 1), 1);
    CHECK_EQ(vn_env_start(c), 0);
    CHECK_EQ(vn_wait(c), 0);
    CHECK_EQ(rep[8], 1);
    CHECK_EQ(rep[7], PATTERN);
    printf("mem_protect_escalate: the child's page_protect(writable) of our read-only page returned %ld\n",
           (long)rep[0]);
    CHECK_EQ(rep[0], -E_PERM);
    CHECK(!(rep[1] & PTE_W));
    if (!rep[2])
        printf("mem_protect_escalate: FAIL the child wrote our page through its read-only mapping\n");
    CHECK(rep[2]);
    CHECK_EQ(rep[3], -E_PERM);
    CHECK_EQ(rep[4], -E_PERM);
    CHECK(!(rep[5] & PTE_W));   /* the refused range changed nothing */
    CHECK_EQ(rep[6], 0);
    if (ours[0] != PATTERN)
        printf("mem_protect_escalate: FAIL our page now holds %lx\n", ours[0]);
    CHECK_EQ(ours[0], PATTERN);
    /* Our own mapping of it is still ours to protect and unprotect. */
    CHECK_EQ(vn_page_protect(CAP_SELF, (uint64_t)ours, 1, VM_PROT_READ), 0);
    CHECK_EQ(vn_page_protect(CAP_SELF, (uint64_t)ours, 1, VM_PROT_WRITE), 0);
    ours[0] = 0;
    CHECK_EQ(vn_cap_delete((capref_t)p), 0);
    vn_mem_release_all();
    long lost = pages_unaccounted(free0, held0);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("mem_protect_escalate");
}
