/*
 * CPU multiplexing between environments: environments that never yield
 * (or enter the kernel at all) are preempted, so every one progresses and
 * a sleeping parent still wakes on time; equal shares get roughly equal
 * CPU time, a 3x share roughly three times as much; directed yield.
 * Fairness is judged on the CPU time the kernel granted (envinfo.run_tsc):
 * virtual CPUs are host threads, so work done per wall-clock second also
 * depends on the host and is only printed.
 */
#include "check.h"

#define SPINNERS_MAX 16

static volatile uint64_t *shared;   /* [i]: spinner i's count, [32+i] its CPU time; [63]: stop */
static capref_t kids[SPINNERS_MAX];

static void spin_for(int n, uint64_t ms, const unsigned *shares)
{
    for (int i = 0; i < 64; i++)
        shared[i] = 0;
    for (int i = 0; i < n; i++) {
        kids[i] = vn_spawn_share("child", 128, 8, (uint64_t)i, vn_page_cap((uint64_t)shared),
                                 CR_READ | CR_WRITE | CR_MAP);
        CHECK(kids[i] > 0);
        if (shares)
            CHECK_EQ(vn_env_set_share(kids[i], shares[i]), 0);
    }
    uint64_t t0 = vn_clock_ns();
    CHECK_EQ(vn_env_wait(ms * 1000000, NULL, 0, VN_WAIT_NONE), VN_WAKE_TIMEOUT);
    uint64_t slept = vn_clock_ns() - t0;
    CHECK(slept >= ms * 1000000);
    printf("cpu_preempt: slept %lu ms among %d spinners:", slept / 1000000, n);
    uint64_t snap[SPINNERS_MAX];
    for (int i = 0; i < n; i++) {
        snap[i] = shared[32 + i];
        printf(" %lu/%lums", shared[i], snap[i] / (vn_sysinfo->tsc_hz / 1000));
    }
    printf(" (iterations/CPU time)\n");
    shared[63] = 1;
    for (int i = 0; i < n; i++) {
        CHECK_EQ(vn_wait(kids[i]), 0);
        shared[i] = snap[i];    /* judge by CPU time granted, not by work done */
    }
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    shared = vn_alloc_pages(1);
    int ncpus = (int)vn_sysinfo->ncpus;
    int n = 2 * ncpus + 1;
    if (n > SPINNERS_MAX)
        n = SPINNERS_MAX;

    /* Equal shares: everyone runs, within a tolerance of each other. */
    spin_for(n, 400, NULL);
    uint64_t lo = ~0ul, hi = 0;
    for (int i = 0; i < n; i++) {
        lo = shared[i] < lo ? shared[i] : lo;
        hi = shared[i] > hi ? shared[i] : hi;
    }
    CHECK(lo > 0);
    printf("cpu_preempt: equal shares: max/min = %lu.%02lu\n", hi / lo, hi * 100 / lo % 100);
    /* Within 2.5x: granted CPU time is wall time, and the emulator's virtual
     * CPUs are host threads that a busy host runs unevenly (on an idle
     * host the spread is 1.1-1.3x). */
    CHECK(hi * 2 <= lo * 5);

    /* Shares 1 and 3, two of each per CPU: the 3s get about 3x. */
    unsigned shares[SPINNERS_MAX] = {0};
    int m = 4 * ncpus > SPINNERS_MAX ? SPINNERS_MAX : 4 * ncpus;
    for (int i = 0; i < m; i++)
        shares[i] = i % 2 ? 3 : 1;
    spin_for(m, 600, shares);
    uint64_t s1 = 0, s3 = 0;
    for (int i = 0; i < m; i++)
        *(i % 2 ? &s3 : &s1) += shared[i];
    CHECK(s1 > 0);
    printf("cpu_preempt: share 3 vs share 1: ratio %lu.%02lu\n", s3 / s1, s3 * 100 / s1 % 100);
    CHECK(s3 * 10 >= s1 * 13 && s3 <= s1 * 6);     /* 3x expected; 2-2.7x measured idle */

    /* Directed yield: to a sleeping or own environment it cannot happen. */
    capref_t sleeper = vn_spawn("child", 128, 10, 0);
    vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
    CHECK_EQ(vn_yield_to(sleeper), -E_AGAIN);
    CHECK_EQ(vn_yield_to(CAP_SELF), -E_AGAIN);
    long weak = vn_cap_derive(sleeper, CR_READ);
    CHECK_EQ(vn_yield_to((capref_t)weak), -E_PERM);
    CHECK_EQ(vn_env_wake(sleeper), 1);
    CHECK_EQ(vn_wait(sleeper), VN_WAKE_NOTIFY);
    /* ...to a runnable spinner it hands over the slice and returns 0.  Keep
     * every CPU busy with other spinners so that the target often waits. */
    for (int i = 0; i < 64; i++)
        shared[i] = 0;
    int busy = ncpus + 1 > SPINNERS_MAX ? SPINNERS_MAX : ncpus + 1;
    for (int i = 0; i < busy; i++)
        kids[i] = vn_spawn_share("child", 128, 8, (uint64_t)i + 1, vn_page_cap((uint64_t)shared),
                                 CR_READ | CR_WRITE | CR_MAP);
    capref_t sp = vn_spawn_share("child", 128, 8, 0, vn_page_cap((uint64_t)shared), CR_READ | CR_WRITE | CR_MAP);
    int donated = 0, tries = 0;
    for (; tries < 2000 && !donated; tries++)
        donated = vn_yield_to(sp) == 0;
    printf("cpu_preempt: directed yield took %d tries\n", tries);
    CHECK(donated);
    vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
    CHECK(shared[0] > 0);
    shared[63] = 1;
    CHECK_EQ(vn_wait(sp), 0);
    for (int i = 0; i < busy; i++)
        CHECK_EQ(vn_wait(kids[i]), 0);
    return check_done("cpu_preempt");
}
