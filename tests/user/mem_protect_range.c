/*
 * Hostile and edge cases of page_protect over many pages, which checks a
 * whole range in one walk per 2 MiB region before changing any of it: a
 * range across two region boundaries changes every page; a hole, a page
 * not mapped by us or a read-only binding anywhere in the range (also in
 * its last region, after earlier regions passed the check) fails with
 * E_NOENT or E_PERM and leaves every page as it was; frames and data stay;
 * zero pages is a no-op and more than VN_RANGE_MAX is refused.
 */
#include "check.h"

int main(void);

#define REGION (512 * PAGE_SIZE)
#define N      1030     /* 4 + 512 + 514 pages: three regions */

static uint64_t base;

/* How many of n pages from va have a present PTE that is writable. */
static uint64_t writable(uint64_t va, uint64_t n)
{
    uint64_t w = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pte = vn_pte(va + i * PAGE_SIZE);
        w += (pte & 1) && (pte & 2);
    }
    return w;
}

static uint64_t present(uint64_t va, uint64_t n)
{
    uint64_t p = 0;
    for (uint64_t i = 0; i < n; i++)
        p += vn_pte(va + i * PAGE_SIZE) & 1;
    return p;
}

static void fill(void)
{
    for (uint64_t i = 0; i < N; i++)
        *(volatile uint64_t *)(base + i * PAGE_SIZE) = i * 7 + 1;
}

static uint64_t data_ok(void)
{
    uint64_t ok = 0;
    for (uint64_t i = 0; i < N; i++)
        ok += *(volatile uint64_t *)(base + i * PAGE_SIZE) == i * 7 + 1;
    return ok;
}

int main(void)
{
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    uint64_t r = vn_va_reserve(N + 2 * 512 + 8);
    CHECK(r != 0);
    base = ((r + 4 * PAGE_SIZE + REGION - 1) & ~(REGION - 1)) - 4 * PAGE_SIZE;
    CHECK_EQ(vn_map_fresh(base, N, VM_PROT_WRITE), 0);
    fill();

    /* Across two boundaries: all read-only, then all writable again. */
    CHECK_EQ(vn_page_protect(CAP_SELF, base, N, VM_PROT_READ), 0);
    CHECK_EQ(writable(base, N), 0);
    CHECK_EQ(present(base, N), N);
    CHECK_EQ(data_ok(), N);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, N, VM_PROT_WRITE), 0);
    CHECK_EQ(writable(base, N), N);

    /* A hole in the last region: nothing changes, in any region. */
    uint64_t hole = base + 1000 * PAGE_SIZE;
    CHECK_EQ(vn_unmap_free(hole, 1), 0);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, N, VM_PROT_READ), -E_NOENT);
    CHECK_EQ(writable(base, N), N - 1);
    /* A range ending past the mapped pages, and one starting in the hole. */
    CHECK_EQ(vn_page_protect(CAP_SELF, base + (N - 2) * PAGE_SIZE, 3, VM_PROT_READ), -E_NOENT);
    CHECK_EQ(vn_page_protect(CAP_SELF, hole, 2, VM_PROT_READ), -E_NOENT);
    CHECK_EQ(writable(base, N), N - 1);
    /* Up to the hole is fine, and changes only that. */
    CHECK_EQ(vn_page_protect(CAP_SELF, base, 1000, VM_PROT_READ), 0);
    CHECK_EQ(writable(base, 1000), 0);
    CHECK_EQ(writable(hole + PAGE_SIZE, N - 1001), N - 1001);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, 1000, VM_PROT_WRITE), 0);

    /* A read-only binding in the hole: asking writable over the range is
     * E_PERM and changes nothing; read-only over it works. */
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    long ro = vn_cap_derive((capref_t)page, CR_MAP | CR_READ);
    CHECK(ro > 0);
    struct vn_map_entry m = {.va = hole, .cap = (capref_t)ro, .prot = VM_PROT_READ, .index = 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, N, VM_PROT_READ), 0);
    CHECK_EQ(writable(base, N), 0);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, N, VM_PROT_WRITE), -E_PERM);
    CHECK_EQ(writable(base, N), 0);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, 1000, VM_PROT_WRITE), 0);
    CHECK_EQ(writable(base, N), 1000);
    CHECK_EQ(vn_page_protect(CAP_SELF, hole, 1, VM_PROT_WRITE | VM_PROT_EXEC), -E_PERM);

    /* Exposed kernel data inside a range, sizes, alignment. */
    CHECK_EQ(vn_page_protect(CAP_SELF, VN_ENVINFO, 1, VM_PROT_READ), -E_INVAL);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, 0, VM_PROT_READ), 0);
    CHECK_EQ(vn_page_protect(CAP_SELF, base, VN_RANGE_MAX + 1, VM_PROT_READ), -E_INVAL);
    CHECK_EQ(vn_page_protect(CAP_SELF, base + 8, 1, VM_PROT_READ), -E_INVAL);
    CHECK_EQ(writable(base, N), 1000);

    /* Frames and data are still ours and intact. */
    CHECK_EQ(vn_page_protect(CAP_SELF, base + 1001 * PAGE_SIZE, N - 1001, VM_PROT_WRITE), 0);
    uint64_t ok = 0;
    for (uint64_t i = 0; i < N; i++)
        ok += i == 1000 || *(volatile uint64_t *)(base + i * PAGE_SIZE) == i * 7 + 1;
    CHECK_EQ(ok, N);

    CHECK_EQ(vn_page_unmap(CAP_SELF, hole, 1), 1);
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    vn_mem_release_all();
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("mem_protect_range");
}
