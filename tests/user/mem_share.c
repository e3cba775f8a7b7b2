/*
 * page_share: independent root capabilities to the same pages (what a
 * copy-on-write fork needs).  A page shared into a child outlives our own
 * root, charged to the child.  Deleting one root revokes what was derived
 * from it, never the other root's mappings.  Hostile cases: more rights
 * than held, no CR_GRANT, a derived capability, kernel memory (the boot
 * archive), the wrong type, a full quota, a target we only hold CR_WRITE
 * on (a child trying to charge its parent), a dead environment, a forged
 * capref.
 */
#include "check.h"

int main(uint64_t mode);

#define PATTERN 0x5eed5eed5eed5eedul

/* Child: slot 1 is our parent, with CR_WRITE only.  Sharing a page into
 * it would charge it without its consent: refused.  Exit status: the
 * result. */
static int child(void)
{
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    if (page < 0)
        return (int)page;
    return (int)vn_page_share((capref_t)page, VN_CAP_SPAWN_SHARE, CR_READ | CR_MAP);
}

static uint64_t map_one(capref_t cap, unsigned prot)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, cap, prot, 0};
    return vn_page_map(CAP_SELF, &m, 1) == 1 ? va : 0;
}

/* A page shared into a child outlives our own root: deleting ours leaves
 * the child's (the page stays allocated, charged to it); the child's death
 * frees it. */
static void test_outlives_allocator(void)
{
    long kid = vn_env_create(16, "holder");
    CHECK(kid > 0);
    long a = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(a > 0);
    uint64_t va = map_one((capref_t)a, VM_PROT_WRITE);
    CHECK(va != 0);
    *(volatile uint64_t *)va = PATTERN;
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info((capref_t)a, &ci), 0);
    uint64_t pfn = ci.object / PAGE_SIZE, held0 = vn_envinfo->held;
    long b = vn_page_share((capref_t)a, (capref_t)kid, CR_READ | CR_MAP);
    CHECK(b >= 0);
    CHECK_EQ(vn_envinfo->held, held0);                  /* charged to the child, not to us */
    CHECK_EQ(vn_pageinfo[pfn].refs, 3);                 /* our root, our mapping, its root */
    CHECK_EQ(vn_cap_delete((capref_t)a), 0);
    CHECK(!(vn_pte(va) & 1));
    CHECK_EQ(held0 - vn_envinfo->held, 1);
    CHECK_EQ(vn_pageinfo[pfn].refs, 1);                 /* alive through the child's root */
    CHECK(!(vn_pageinfo[pfn].flags & VN_PI_FREE));
    CHECK_EQ(vn_cap_delete((capref_t)kid), 0);          /* the child goes, and the page with it */
    CHECK(vn_pageinfo[pfn].flags & VN_PI_FREE);
    /* A child cannot charge its parent (a CR_WRITE capability is not control). */
    capref_t c = vn_spawn_share("mem_share", 64, 1, 0, CAP_SELF, CR_WRITE);
    CHECK(c >= 0);
    CHECK_EQ(vn_wait(c), -E_PERM);
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
    /* Binding records are charged a page per 64, so count roots with none
     * of this test's mappings left (else the result depends on how many
     * mappings we had before, e.g. on the size of the boot archive). */
    CHECK_EQ(vn_page_unmap(CAP_SELF, va_b, 1), 1);
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
    /* Only a root makes roots: a derived capability, even with CR_GRANT,
     * stays revocable by the root's holder. */
    long derived = vn_cap_derive((capref_t)a, CR_READ | CR_MAP | CR_GRANT);
    CHECK_EQ(vn_page_share((capref_t)derived, CAP_SELF, CR_READ), -E_PERM);
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
    long wo = vn_cap_derive((capref_t)kid, CR_WRITE);                          /* write, not control */
    CHECK_EQ(vn_page_share((capref_t)a, (capref_t)wo, CR_READ), -E_PERM);
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
