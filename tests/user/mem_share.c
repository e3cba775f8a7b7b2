/*
 * page_share: independent root capabilities to the same pages (what a
 * copy-on-write fork needs).  A child allocates a page, fills it, shares
 * it into this environment and exits: the page outlives its allocator,
 * with its contents, charged to us.  Deleting one root revokes what was
 * derived from it, never the other root's mappings.  Hostile cases: more
 * rights than held, no CR_GRANT, kernel memory (the boot archive), the
 * wrong type, a full quota, a dead environment, a forged capref.
 */
#include "check.h"

int main(uint64_t mode);

#define PATTERN 0x5eed5eed5eed5eedul

/* Child: slot 1 is our parent (CR_WRITE).  Exit status: the capref of the
 * shared page in the parent's table, or a negative error. */
static int child(void)
{
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    if (page < 0)
        return (int)page;
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)page, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) < 0)
        return -1;
    for (int i = 0; i < 512; i++)
        ((uint64_t *)va)[i] = PATTERN + (uint64_t)i;
    long shared = vn_page_share((capref_t)page, VN_CAP_SPAWN_SHARE, CR_READ | CR_WRITE | CR_MAP | CR_GRANT);
    return (int)shared;
}

static uint64_t map_one(capref_t cap, unsigned prot)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, cap, prot, 0};
    return vn_page_map(CAP_SELF, &m, 1) == 1 ? va : 0;
}

static void test_outlives_allocator(void)
{
    capref_t kid = vn_spawn_share("mem_share", 64, 1, 0, CAP_SELF, CR_WRITE);
    CHECK(kid >= 0);
    int shared = vn_wait(kid);          /* the child is gone, with its own root */
    CHECK(shared > 0);
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info(shared, &ci), 0);
    CHECK(ci.type == CAP_PAGE && ci.count == 1);
    uint64_t va = map_one(shared, VM_PROT_WRITE);
    CHECK(va != 0);
    int bad = 0;
    for (int i = 0; va && i < 512; i++)
        bad += ((uint64_t *)va)[i] != PATTERN + (uint64_t)i;
    CHECK_EQ(bad, 0);
    uint64_t held1 = vn_envinfo->held, free1 = vn_sysinfo->free_pages;
    CHECK_EQ(vn_cap_delete(shared), 0);                 /* last root: freed */
    CHECK(!(vn_pte(va) & 1));
    CHECK_EQ(held1 - vn_envinfo->held, 1);              /* it was charged to us */
    CHECK_EQ(vn_sysinfo->free_pages - free1, 1);
}

static void test_roots_independent(void)
{
    uint64_t held0 = vn_envinfo->held;
    long a = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(a > 0);
    long b = vn_page_share((capref_t)a, CAP_SELF, CR_READ | CR_MAP);    /* read-only root */
    CHECK(b > 0);
    CHECK_EQ(vn_envinfo->held - held0, 2);              /* each root is charged */
    long d = vn_cap_derive((capref_t)a, CR_READ | CR_MAP);
    CHECK(d > 0);
    uint64_t va_a = map_one((capref_t)a, VM_PROT_WRITE), va_b = map_one((capref_t)b, VM_PROT_READ);
    uint64_t va_d = map_one((capref_t)d, VM_PROT_READ);
    CHECK(va_a && va_b && va_d);
    *(volatile uint64_t *)va_a = 77;
    CHECK_EQ(*(volatile uint64_t *)va_b, 77);           /* the same page */
    /* A read-only root cannot map writable, nor share write rights on. */
    CHECK_EQ(map_one((capref_t)b, VM_PROT_WRITE), 0);
    CHECK_EQ(vn_page_share((capref_t)b, CAP_SELF, CR_READ | CR_MAP | CR_WRITE), -E_PERM);
    CHECK_EQ(vn_page_share((capref_t)b, CAP_SELF, CR_READ), -E_PERM);  /* b has no CR_GRANT */
    CHECK_EQ(vn_cap_delete((capref_t)a), 0);
    CHECK(!(vn_pte(va_a) & 1) && !(vn_pte(va_d) & 1));  /* a's mapping and what derived from it: gone */
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info((capref_t)d, &ci), -E_BADCAP);
    CHECK(vn_pte(va_b) & 1);                            /* b's: kept, with the data */
    CHECK_EQ(*(volatile uint64_t *)va_b, 77);
    CHECK_EQ(vn_envinfo->held - held0, 1);
    CHECK_EQ(vn_cap_delete((capref_t)b), 0);
    CHECK(!(vn_pte(va_b) & 1));
    CHECK_EQ(vn_envinfo->held, held0);
}

static void test_hostile(void)
{
    long a = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(a > 0);
    CHECK_EQ(vn_page_share((capref_t)a, CAP_SELF, CR_ALL), -E_PERM);           /* more than page rights */
    CHECK_EQ(vn_page_share(VN_CAP_ARCHIVE, CAP_SELF, CR_READ), -E_PERM);       /* kernel memory */
    CHECK_EQ(vn_page_share(CAP_SELF, CAP_SELF, CR_READ), -E_TYPE);             /* not a page */
    CHECK_EQ(vn_page_share(CAPREF_MAKE(CAPREF_SLOT(a), CAPREF_GEN(a) + 1), CAP_SELF, CR_READ), -E_BADCAP);
    CHECK_EQ(vn_page_share((capref_t)a, (capref_t)a, CR_READ), -E_TYPE);       /* env must be an env */
    long nogrant = vn_cap_derive((capref_t)a, CR_READ | CR_MAP);
    CHECK_EQ(vn_page_share((capref_t)nogrant, CAP_SELF, CR_READ), -E_PERM);
    /* A child with a one-page quota: the second share does not fit. */
    long kid = vn_env_create(8, "share-target");
    CHECK(kid > 0);
    long first = 0;
    int n = 0;
    while ((first = vn_page_share((capref_t)a, (capref_t)kid, CR_READ)) >= 0 && n < 64)
        n++;
    CHECK(n > 0 && n < 8);
    CHECK_EQ(first, -E_QUOTA);
    long ro = vn_cap_derive((capref_t)kid, CR_READ);                           /* no CR_WRITE on it */
    CHECK_EQ(vn_page_share((capref_t)a, (capref_t)ro, CR_READ), -E_PERM);
    CHECK_EQ(vn_env_destroy((capref_t)kid), 0);
    CHECK_EQ(vn_page_share((capref_t)a, (capref_t)kid, CR_READ), -E_DEAD);
    CHECK_EQ(vn_cap_delete((capref_t)kid), 0);
    CHECK_EQ(vn_cap_delete((capref_t)a), 0);
}

int main(uint64_t mode)
{
    if (mode == 1)
        return child();
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    test_outlives_allocator();
    test_roots_independent();
    test_hostile();
    long lost = pages_unaccounted(free0, held0);
    if (labs(lost) > SLAB_SLACK)
        printf("FAIL: %ld pages unaccounted\n", lost);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("mem_share");
}
