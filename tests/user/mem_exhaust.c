/*
 * Hostile: take all the memory one may.  Allocation ends with a clean
 * error, the kernel keeps running, and a child whose quota was reserved
 * before still gets every page it was promised.  Everything comes back.
 */
#include "check.h"

static capref_t held_caps[4096];

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t child = vn_spawn("child", 500, 7, 300);     /* runs when we yield */
    CHECK(child > 0);
    uint64_t n = 0, ncaps = 0;
    long r = 0;
    /* Big contiguous runs first, then single pages, until refused. */
    for (uint64_t run = 256; run >= 1 && ncaps < 4096; run /= 4) {
        while (ncaps < 4096 && (r = vn_page_alloc(CAP_SELF, 0, run)) >= 0) {
            held_caps[ncaps++] = (capref_t)r;
            n += run;
        }
        if (run == 1)
            break;
    }
    printf("mem_exhaust: allocated %lu pages in %lu capabilities, then %s; %lu pages free\n", n, ncaps,
           vn_strerror(r), vn_sysinfo->free_pages);
    CHECK(r == -E_QUOTA || r == -E_NOMEM);
    CHECK(n > 10000);
    CHECK_EQ(vn_wait(child), 0);                 /* the child got its 300 pages */
    for (uint64_t i = 0; i < ncaps; i++)
        CHECK_EQ(vn_cap_delete(held_caps[i]), 0);
    printf("mem_exhaust: %lu pages free after giving back (%lu before the spree), %ld unaccounted\n",
           vn_sysinfo->free_pages, free0, pages_unaccounted(free0, held0));
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("mem_exhaust");
}
