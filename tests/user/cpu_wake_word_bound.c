/*
 * env_wake_word's bound (kernel/sched.c, WAKE_WORD_PASS_MAX): a call
 * passes over at most 256 sleepers it does not wake, so a libOS that parks
 * hundreds of vCPUs on one word with predicates that do not hold cannot
 * make every wake-up walk them all under the big lock.
 *   - OLDEST sleeps first on the word W with "W != 0"; then PARKED others
 *     on the same W with "W == 7" (a bucket is newest first, so they all
 *     come before it).
 *   - W = 1 and env_wake_word(W): OLDEST's predicate holds but the call
 *     stops after 256 passed over, so it returns 0; the scheduler's poll
 *     still wakes OLDEST soon after.
 *   - W = 7 and env_wake_word(W): every parked one now holds, and a woken
 *     sleeper does not count against the bound: one call wakes them all.
 * One CPU, so that the sleepers go to sleep in the order started.
 */
#include "check.h"

#define PARKED 400
#define STACK 1024

static struct {
    volatile uint64_t w;
    volatile uint64_t asleep, woken;
    volatile uint64_t oldest_woke;
} s;

__attribute__((force_align_arg_pointer, noreturn)) static void sleeper(uint64_t oldest)
{
    __atomic_fetch_add(&s.asleep, 1, __ATOMIC_SEQ_CST);
    long r = oldest ? vn_env_wait(0, (const uint64_t *)&s.w, 0, VN_WAIT_NE)
                    : vn_env_wait(0, (const uint64_t *)&s.w, 7, VN_WAIT_EQ);
    if (r == VN_WAKE_PREDICATE && oldest)
        s.oldest_woke = 1;
    __atomic_fetch_add(&s.woken, 1, __ATOMIC_SEQ_CST);
    for (;;)
        vn_env_wait(0, NULL, 0, VN_WAIT_NONE);
}

static capref_t start(uint8_t *stacks, uint64_t i, uint64_t oldest)
{
    long v = vn_env_create_vcpu(8, "parked");
    struct vn_regs regs = {.rip = (uint64_t)sleeper, .rsp = (uint64_t)stacks + (i + 1) * STACK - 8, .rdi = oldest};
    if (v < 0 || vn_env_set_regs((capref_t)v, &regs) < 0 || vn_env_start((capref_t)v) < 0)
        return -1;
    return (capref_t)v;
}

int main(void)
{
    uint8_t *stacks = vn_alloc_pages((PARKED + 1) * STACK / PAGE_SIZE + 1);
    CHECK(stacks != NULL);
    CHECK(start(stacks, 0, 1) >= 0);
    while (s.asleep < 1)
        vn_yield();
    vn_yield();                     /* from its count to its sleep */
    for (uint64_t i = 1; i <= PARKED; i++)
        CHECK(start(stacks, i, 0) >= 0);
    for (int n = 0; n < 100000 && s.asleep < PARKED + 1; n++)
        vn_yield();
    CHECK_EQ(s.asleep, PARKED + 1);
    vn_yield();
    CHECK_EQ(s.woken, 0);

    s.w = 1;
    long r = vn_env_wake_word((const uint64_t *)&s.w);
    printf("cpu_wake_word_bound: wake-up behind %d parked sleepers woke %ld\n", PARKED, r);
    CHECK_EQ(r, 0);
    uint64_t t0 = vn_clock_ns();
    while (!s.oldest_woke && vn_clock_ns() - t0 < 5000000000ul)
        vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);
    CHECK_EQ(s.oldest_woke, 1);     /* the poll found it */

    s.w = 7;
    r = vn_env_wake_word((const uint64_t *)&s.w);
    printf("cpu_wake_word_bound: then %ld woken by one call\n", r);
    CHECK_EQ(r, PARKED);
    for (int n = 0; n < 100000 && s.woken < PARKED + 1; n++)
        vn_yield();
    CHECK_EQ(s.woken, PARKED + 1);
    return check_done("cpu_wake_word_bound");
}
