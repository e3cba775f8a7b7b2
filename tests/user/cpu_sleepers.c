/*
 * Many sleepers at once (issue 19).  The kernel keeps sleepers with a
 * timeout in a heap, predicate sleepers in a poll list polled a bounded
 * number at a time and in buckets by their word's address for
 * env_wake_word, and event-only sleepers nowhere (kernel/sched.c).  With
 * about 1,000 vCPUs of this space asleep together:
 *   1. timeouts: TIMED sleepers with deadlines 2 ms apart, taken in a
 *      shuffled order, wake in deadline order; a third of them, killed
 *      while in the middle of the heap, never wake;
 *   2. env_wake_word: WORDS sleepers each on its own word; waking word k
 *      (in a shuffled order) wakes one, sleeper k, and no other;
 *   3. the bounded poll: POLLED sleepers whose words change with no
 *      env_wake_word all wake, the poll coming round to each;
 *   4. a word whose page is unmapped under its sleeper: woken with
 *      -E_FAULT; a word whose page is replaced by another (the sleeper is
 *      in the old address's bucket): woken by its predicate on the new
 *      page, by the poll.
 * Event-only sleepers (no timeout, no predicate) sit beside them all along.
 * One CPU, so that the wake order is the order of the run queue.
 */
#include "check.h"

#define TIMED  300
#define WORDS  300
#define POLLED 300
#define IDLE   100          /* event-only: env_wait with neither */
#define TOTAL  (TIMED + WORDS + POLLED + IDLE)
#define STACK  1024
#define STEP_NS 2000000ul   /* between two deadlines */

enum { K_TIMED, K_WORD, K_POLLED, K_IDLE, K_REMAP };

static struct {
    volatile uint64_t go;               /* the timed ones start their timeouts */
    volatile uint64_t base_ns;          /* deadline of rank 0 */
    volatile uint64_t asleep;           /* sleepers that have begun their first sleep */
    volatile uint64_t woken;            /* wake-ups recorded */
    volatile uint64_t order[TOTAL];     /* index of the n-th to wake */
    volatile long result[TOTAL + 2];    /* env_wait's result, by index */
    volatile uint64_t words[WORDS + POLLED];
} s;
static int rank[TIMED];                 /* timed sleeper i's place in deadline order */
static capref_t vcpu[TOTAL + 2];
static volatile uint64_t *remap_word[2];    /* the two sleepers of part 4 */

static void record(uint64_t i, long r)
{
    s.result[i] = r;
    s.order[__atomic_fetch_add(&s.woken, 1, __ATOMIC_SEQ_CST)] = i;
    for (;;)
        vn_env_wait(0, NULL, 0, VN_WAIT_NONE);      /* event-only from now on */
}

__attribute__((force_align_arg_pointer, noreturn)) static void sleeper(uint64_t i, uint64_t kind)
{
    long r;
    __atomic_fetch_add(&s.asleep, 1, __ATOMIC_SEQ_CST);
    switch (kind) {
    case K_TIMED:
        while (!s.go)
            vn_env_wait(0, (const uint64_t *)&s.go, 0, VN_WAIT_NE);
        r = vn_env_wait(s.base_ns + (uint64_t)rank[i] * STEP_NS - vn_clock_ns(), NULL, 0, VN_WAIT_NONE);
        break;
    case K_WORD:
    case K_POLLED:
        r = vn_env_wait(0, (const uint64_t *)&s.words[i - TIMED], 0, VN_WAIT_NE);
        break;
    case K_REMAP:
        r = vn_env_wait(0, (const uint64_t *)remap_word[i - TOTAL], 0, VN_WAIT_NE);
        break;
    default:
        for (;;)
            vn_env_wait(0, NULL, 0, VN_WAIT_NONE);
    }
    record(i, r);
    __builtin_unreachable();
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 7, rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void shuffle(int *a, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rnd() % (uint64_t)(i + 1)), t = a[i];
        a[i] = a[j], a[j] = t;
    }
}

static bool start(uint8_t *stacks, uint64_t i, uint64_t kind)
{
    long v = vn_env_create_vcpu(8, "sleeper");
    struct vn_regs regs = {.rip = (uint64_t)sleeper, .rsp = (uint64_t)stacks + (i + 1) * STACK - 8, .rdi = i,
                           .rsi = kind};
    if (v < 0 || vn_env_set_regs((capref_t)v, &regs) < 0 || vn_env_start((capref_t)v) < 0)
        return false;
    vcpu[i] = (capref_t)v;
    return true;
}

/* Sleep (so that the CPU idles and polls) until n have woken or 5 s pass. */
static bool woken_reach(uint64_t n)
{
    uint64_t t0 = vn_clock_ns();
    while (s.woken < n && vn_clock_ns() - t0 < 5000000000ul)
        vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);
    return s.woken >= n;
}

int main(void)
{
    uint8_t *stacks = vn_alloc_pages((TOTAL + 2) * STACK / PAGE_SIZE + 1);
    CHECK(stacks != NULL);
    shuffle(rank, TIMED);
    /* Part 4's words: one page each, mapped at addresses of our own. */
    capref_t pg[3];
    uint64_t va[2];
    for (int k = 0; k < 3; k++)
        pg[k] = (capref_t)vn_page_alloc(CAP_SELF, 0, 1);
    for (int k = 0; k < 2; k++) {
        va[k] = vn_va_reserve(1);
        struct vn_map_entry m = {va[k], pg[k], VM_PROT_WRITE, 0};
        CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
        remap_word[k] = (volatile uint64_t *)(va[k] + 8 * (uint64_t)k);
    }
    for (uint64_t i = 0; i < TOTAL + 2; i++) {
        uint64_t kind = i < TIMED ? K_TIMED : i < TIMED + WORDS ? K_WORD : i < TIMED + WORDS + POLLED ? K_POLLED
                      : i < TOTAL ? K_IDLE : K_REMAP;
        if (!start(stacks, i, kind)) {
            printf("cpu_sleepers: cannot start sleeper %lu\n", (unsigned long)i);
            CHECK(0);
            return check_done("cpu_sleepers");
        }
    }
    for (int n = 0; n < 100000 && s.asleep < TOTAL + 2; n++)
        vn_yield();
    CHECK_EQ(s.asleep, TOTAL + 2);
    vn_yield();                             /* the last one from its count to its sleep */
    CHECK_EQ(s.woken, 0);

    /* 1. Timeouts in deadline order, a third killed in the heap. */
    s.base_ns = vn_clock_ns() + 200000000ul;
    s.go = 1;
    vn_env_wake_word((const uint64_t *)&s.go);
    for (int n = 0; n < 3; n++)
        vn_yield();                         /* the timed ones into their timed sleep */
    int killed = 0;
    for (int i = 0; i < TIMED; i++)
        if (rank[i] % 3 == 1)
            vn_kill(vcpu[i]), vcpu[i] = 0, killed++;
    CHECK(woken_reach((uint64_t)(TIMED - killed)));
    uint64_t nt = s.woken;
    int last = -1, out_of_order = 0;
    for (uint64_t n = 0; n < nt; n++) {
        uint64_t i = s.order[n];
        if (i >= TIMED || rank[i] % 3 == 1 || s.result[i] != VN_WAKE_TIMEOUT) {
            printf("cpu_sleepers: wake %lu: sleeper %lu (result %ld) should not have woken\n", (unsigned long)n,
                   (unsigned long)i, s.result[i]);
            CHECK(0);
            continue;
        }
        out_of_order += rank[i] < last;
        last = rank[i];
    }
    printf("cpu_sleepers: %lu timed sleepers woke, %d killed in the heap, %d out of deadline order\n",
           (unsigned long)nt, killed, out_of_order);
    CHECK_EQ(nt, (uint64_t)(TIMED - killed));
    CHECK_EQ(out_of_order, 0);

    /* 2. env_wake_word, one word at a time. */
    int perm[WORDS], wrong = 0;
    shuffle(perm, WORDS);
    for (int k = 0; k < WORDS; k++) {
        uint64_t before = s.woken;
        int j = perm[k];
        s.words[j] = 1;
        long r = vn_env_wake_word((const uint64_t *)&s.words[j]);
        /* 0 only if a poll at a tick between the store and the call woke it first */
        wrong += r != 1 && !(r == 0 && s.result[TIMED + j] == VN_WAKE_PREDICATE);
        vn_yield();
        wrong += s.woken != before + 1 || s.order[before] != (uint64_t)(TIMED + j);
    }
    printf("cpu_sleepers: %d of %d word wake-ups wrong\n", wrong, WORDS);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(s.woken, nt + WORDS);

    /* 3. Predicates no one wakes: the poll comes round to every one. */
    uint64_t t0 = vn_clock_ns();
    for (int k = 0; k < POLLED; k++)
        s.words[WORDS + k] = 1;
    CHECK(woken_reach(nt + WORDS + POLLED));
    printf("cpu_sleepers: %d polled sleepers woke in %lu ms\n", POLLED, (unsigned long)((vn_clock_ns() - t0) / 1000000));
    for (int k = 0; k < POLLED; k++)
        CHECK_EQ(s.result[TIMED + WORDS + k], VN_WAKE_PREDICATE);

    /* 4. Under sleeper TOTAL its word's page goes; under TOTAL + 1 another
     * page, whose word holds, takes the place of its own. */
    CHECK_EQ(vn_page_unmap(CAP_SELF, va[0], 1), 1);
    volatile uint64_t *w2 = vn_alloc_pages(1);  /* the new page's word holds before it moves in */
    CHECK(w2 != NULL);
    w2[1] = 1;
    struct vn_map_entry m = {va[1], vn_page_cap((uint64_t)w2), VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);     /* in place of pg[1]: never unmapped */
    vn_env_wake_word((const uint64_t *)remap_word[1]);     /* finds nobody: the poll does */
    CHECK(woken_reach(nt + WORDS + POLLED + 2));
    CHECK_EQ(s.result[TOTAL], -E_FAULT);
    CHECK_EQ(s.result[TOTAL + 1], VN_WAKE_PREDICATE);

    /* The event-only sleepers slept through all of it. */
    for (int i = TIMED + WORDS + POLLED; i < TOTAL; i++)
        CHECK_EQ(s.result[i], 0);
    CHECK_EQ(s.woken, nt + WORDS + POLLED + 2);
    for (int i = 0; i < TOTAL + 2; i++)
        if (vcpu[i] > 0)
            vn_kill(vcpu[i]);
    for (int k = 0; k < 3; k++)
        CHECK_EQ(vn_cap_delete(pg[k]), 0);
    return check_done("cpu_sleepers");
}
