/*
 * Visible revocation.  A child fills its quota; the parent lowers the
 * quota.  A cooperative child gets the UPCALL_REVOKE request and gives
 * pages back in time; a child that ignores the request has pages taken by
 * force (the abort protocol) and finds them listed in its envinfo page.
 * Raising a quota beyond the parent's fails cleanly.
 */
#include "check.h"

static volatile uint64_t *flag;        /* shared with the hog: [1] = full */

static capref_t hog(unsigned cooperative)
{
    flag[1] = 0;
    return vn_spawn_share("child", 300, 2, cooperative, vn_page_cap((uint64_t)flag), CR_READ | CR_WRITE | CR_MAP);
}

static void shrink(capref_t child, uint64_t quota)
{
    /* Sleep until the child says it has filled its quota. */
    CHECK_EQ(vn_env_wait(10000000000ul, (const uint64_t *)&flag[1], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
    CHECK_EQ(vn_env_set_quota(child, quota), 0);
}

int main(void)
{
    flag = vn_alloc_pages(1);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t coop = hog(1);
    CHECK(coop > 0);
    shrink(coop, 200);
    CHECK_EQ(vn_wait(coop), 10);

    capref_t deaf = hog(0);
    CHECK(deaf > 0);
    shrink(deaf, 200);
    CHECK_EQ(vn_wait(deaf), 20);

    /* Regression: a child that sits in its revoke handler (where further
     * requests are deferred) still loses the pages at the deadline. */
    capref_t stall = hog(2);
    CHECK(stall > 0);
    shrink(stall, 200);
    CHECK_EQ(vn_env_set_quota(stall, 190), 0);  /* a second request while it stalls */
    CHECK_EQ(vn_wait(stall), 30);

    /* Regression: a child that never enters the kernel again still loses
     * the pages, its lost time slices counting toward the deadline. */
    capref_t mute = hog(3);
    CHECK(mute > 0);
    shrink(mute, 200);
    CHECK_EQ(vn_wait(mute), 40);

    capref_t c = vn_spawn("child", 128, 3, 0);
    CHECK(c > 0);
    CHECK_EQ(vn_env_set_quota(c, 1ul << 40), -E_QUOTA);
    /* Regression (found by the fuzzer): quotas near 2^64 wrapped the
     * accounting check and were granted. */
    CHECK_EQ(vn_env_set_quota(c, ~0ul), -E_QUOTA);
    CHECK_EQ(vn_env_create(~0ul, "wrap"), -E_QUOTA);
    CHECK_EQ(vn_env_create(~0ul - 5, "wrap"), -E_QUOTA);
    long weak = vn_cap_derive(c, CR_READ | CR_WRITE | CR_MAP);
    CHECK_EQ(vn_env_set_quota((capref_t)weak, 80), -E_PERM);
    CHECK_EQ(vn_env_set_quota(CAP_SELF, 1ul << 40), -E_PERM);   /* no control over oneself */
    CHECK_EQ(vn_env_destroy(c), 0);
    CHECK_EQ(vn_wait(c), -1);
    printf("mem_quota: free pages %lu at start, %lu now, %ld unaccounted\n", free0, vn_sysinfo->free_pages,
           pages_unaccounted(free0, held0));
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("mem_quota");
}
