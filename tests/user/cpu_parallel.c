/*
 * All CPUs at once: one environment per CPU increments a shared counter
 * with atomic instructions; the total is exact and the environments were
 * seen on more than one CPU.
 */
#include "check.h"

#define N 200000

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    volatile uint64_t *shared = vn_alloc_pages(1);
    uint64_t ncpus = vn_sysinfo->ncpus;
    capref_t kids[16];
    shared[2] = ncpus < 8 ? ncpus : 8;     /* how many children the barrier waits for */
    for (uint64_t i = 0; i < ncpus && i < 8; i++)
        kids[i] = vn_spawn_share("child", 128, 11, i << 32 | N, vn_page_cap((uint64_t)shared),
                                 CR_READ | CR_WRITE | CR_MAP);
    uint64_t cpus_seen = 0;
    for (uint64_t i = 0; i < ncpus && i < 8; i++) {
        CHECK_EQ(vn_wait(kids[i]), 0);
        cpus_seen |= shared[8 + i];
    }
    int distinct = 0;
    for (uint64_t m = cpus_seen; m; m &= m - 1)
        distinct++;
    printf("cpu_parallel: %lu CPUs, total %lu (want %lu), children ran on %d distinct CPUs\n", ncpus, shared[0],
           ncpus * N, distinct);
    CHECK(shared[0] == ncpus * N);
    CHECK(ncpus < 2 || distinct >= 2);
    return check_done("cpu_parallel");
}
