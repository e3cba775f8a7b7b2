/*
 * env_wake_word: a futex-like wake-up by shared memory.  A child sleeps in
 * env_wait on a word of a page it shares with us (a long timeout); we
 * change the word and wake it by the word's address alone, without any
 * capability to the child: the count says one sleeper woke, and the child
 * saw its predicate (not the timeout), soon.  Hostile and edge cases: a
 * NULL, unaligned, kernel or unmapped word; a word nobody sleeps on; a
 * predicate that does not hold yet (nobody is woken).
 */
#include "check.h"

int main(uint64_t mode);

#define WORD_VA 0x300000000000ul

/* Child: slot 1 is the shared page.  Exit status: env_wait's result, or
 * 100 + the ms it slept if it slept too long. */
static int child(void)
{
    struct vn_map_entry m = {WORD_VA, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 99;
    volatile uint64_t *w = (volatile uint64_t *)WORD_VA;
    w[1] = 1;                                   /* "I am about to sleep" */
    uint64_t t0 = vn_clock_ns();
    long r = vn_env_wait(10000000000ul, (const uint64_t *)w, 0, VN_WAIT_NE);    /* 10 s */
    uint64_t ms = (vn_clock_ns() - t0) / 1000000;
    return ms > 2000 ? 100 + (int)(ms > 100 ? 100 : ms) : (int)r;
}

int main(uint64_t mode)
{
    if (mode == 1)
        return child();
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)page, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    volatile uint64_t *w = (volatile uint64_t *)va;
    /* Edge cases first. */
    CHECK_EQ(vn_env_wake_word(NULL), -E_FAULT);
    CHECK_EQ(vn_env_wake_word((const uint64_t *)(va + 4)), -E_INVAL);
    CHECK_EQ(vn_env_wake_word((const uint64_t *)0xffffffff80200000ul), -E_FAULT);
    CHECK_EQ(vn_env_wake_word((const uint64_t *)0x10000000ul), -E_FAULT);
    CHECK_EQ(vn_env_wake_word((const uint64_t *)w), 0);        /* nobody sleeps on it */
    capref_t kid = vn_spawn_share("cpu_wake_word", 64, 1, 0, (capref_t)page, CR_READ | CR_WRITE | CR_MAP);
    CHECK(kid >= 0);
    while (!w[1])
        vn_yield();                             /* the child is about to sleep */
    vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);   /* let it get there (20 ms) */
    CHECK_EQ(vn_env_wake_word((const uint64_t *)w), 0);        /* its predicate does not hold yet */
    w[0] = 1;
    CHECK_EQ(vn_env_wake_word((const uint64_t *)w), 1);        /* now it does: one woken */
    CHECK_EQ(vn_wait(kid), VN_WAKE_PREDICATE);
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    return check_done("cpu_wake_word");
}
