/*
 * Hostile: create environments in a loop until the kernel refuses, then
 * destroy them all: every page comes back and the kernel still creates
 * and runs a child afterwards.  Booted with 1 GiB, so that the slot table
 * (all 2^VN_ENV_SLOT_BITS of it) fills before the quota runs out.
 */
#include "check.h"

#define MAX_CHILDREN (1 << VN_ENV_SLOT_BITS)

static capref_t kids[MAX_CHILDREN];

int main(void)
{
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    long r = 0;
    int n = 0;
    while (n < MAX_CHILDREN && (r = vn_env_create(8, "flood")) >= 0)
        kids[n++] = (capref_t)r;
    printf("env_flood: created %d environments, then %s\n", n, vn_strerror(r));
    CHECK(r == -E_NOSPC);
    CHECK(n >= MAX_CHILDREN - 8);     /* all but this one and the kernel's boot environments */
    for (int i = 0; i < n; i++)
        CHECK_EQ(vn_cap_delete(kids[i]), 0);
    printf("env_flood: free pages %lu at start, %lu after destroying them, %ld unaccounted\n", free0,
           vn_sysinfo->free_pages, pages_unaccounted(free0, held0));
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);   /* the rest is our grown capability table */
    capref_t c = vn_spawn("child", 128, 0, 3);
    CHECK(c > 0);
    CHECK_EQ(vn_wait(c), 3);
    return check_done("env_flood");
}
