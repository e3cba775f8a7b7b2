/*
 * A thousand environments created and destroyed: eight at a time, each
 * loaded from the archive, run and ended (by exiting or by being
 * destroyed); every page comes back.
 */
#include "check.h"

#define TOTAL 1000
#define BATCH 8

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    CHECK_EQ(vn_wait(vn_spawn("child", 128, 0, 0)), 0);     /* warm up the archive mapping */
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    int done = 0, statuses_ok = 0;
    while (done < TOTAL) {
        capref_t kids[BATCH];
        for (int i = 0; i < BATCH; i++)
            kids[i] = vn_spawn("child", 128, i % 2 ? 3 : 0, (uint64_t)(done + i) % 200);
        for (int i = 0; i < BATCH; i++) {
            if (i % 2) {
                CHECK_EQ(vn_env_destroy(kids[i]), 0);     /* a spinner: destroy it */
                statuses_ok += vn_wait(kids[i]) == -1;
            } else {
                statuses_ok += vn_wait(kids[i]) == (done + i) % 200;
            }
        }
        done += BATCH;
    }
    long lost = pages_unaccounted(free0, held0);
    printf("env_churn: %d environments, %d ended as expected, %ld pages unaccounted\n", done, statuses_ok, lost);
    CHECK(statuses_ok == TOTAL);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("env_churn");
}
