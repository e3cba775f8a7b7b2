/*
 * Sleeping and waking: timeouts measured on the syscall-free clock,
 * predicates on a word of memory written by another environment, env_wake,
 * and bad arguments.
 */
#include "check.h"

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    volatile uint64_t *shared = vn_alloc_pages(1);
    CHECK(vn_sysinfo->tsc_hz > 0);
    uint64_t t0 = vn_clock_ns();
    CHECK_EQ(vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE), VN_WAKE_TIMEOUT);
    uint64_t dt = vn_clock_ns() - t0;
    printf("cpu_sleep: a 20 ms timeout slept %lu us\n", dt / 1000);
    CHECK(dt >= 20000000 && dt < 2000000000ul);

    /* A predicate already true returns at once; a false one waits for the child. */
    shared[0] = 7;
    CHECK_EQ(vn_env_wait(0, (const uint64_t *)shared, 7, VN_WAIT_EQ), VN_WAKE_PREDICATE);
    capref_t c = vn_spawn_share("child", 128, 9, 0, vn_page_cap((uint64_t)shared), CR_READ | CR_WRITE | CR_MAP);
    CHECK(c > 0);
    t0 = vn_clock_ns();
    CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)shared, 42, VN_WAIT_EQ), VN_WAKE_PREDICATE);
    CHECK(shared[0] == 42);
    printf("cpu_sleep: woke on the predicate after %lu us\n", (vn_clock_ns() - t0) / 1000);
    CHECK_EQ(vn_wait(c), 0);

    /* env_wake ends a sleep that has nothing else to end it. */
    c = vn_spawn("child", 128, 10, 0);
    vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
    CHECK_EQ(vn_env_wake(c), 1);
    CHECK_EQ(vn_wait(c), VN_WAKE_NOTIFY);

    /* Bad arguments. */
    CHECK_EQ(vn_env_wait(0, (const uint64_t *)0xffffffff80200000ul, 0, VN_WAIT_EQ), -E_FAULT);
    CHECK_EQ(vn_env_wait(0, (const uint64_t *)(shared + 1) - 0, 0, 9), -E_INVAL);
    CHECK_EQ(vn_env_wait(0, (const uint64_t *)((uint64_t)shared + 4), 0, VN_WAIT_EQ), -E_INVAL);
    CHECK_EQ(vn_env_wake(CAP_SELF), 0);
    CHECK_EQ(vn_sched_warn(1ul << 40), -E_INVAL);
    return check_done("cpu_sleep");
}
