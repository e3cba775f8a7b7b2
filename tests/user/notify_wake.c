/*
 * Hostile regression (issue 12, hole 4): env_wake on an environment
 * sleeping in notify_wait must return 0 and leave it waiting; a later
 * notify_signal then delivers the bits to it normally.
 *
 * The kernel at ae6c817 woke it (notify_wait returned VN_WAKE_NOTIFY) but
 * left it registered as the word's waiter; the signal then "woke" it
 * again while it ran, putting a running environment on the run queue, so
 * that it ran on two CPUs at once and its exit panicked
 * (vm_space_destroy: address space still loaded on CPUs).  Needs 2 CPUs.
 *
 * Each round: the child waits on a word (without, then with a timeout); we
 * make sure it is the registered waiter (our own notify_wait gets E_BUSY),
 * env_wake it, check it did not return, signal it with the round's bits
 * and check it got exactly those.  A child that returns early spins for a
 * while without entering the kernel, as a running libOS would.
 *
 * Modes (arg0): 0 the test; 1 the waiter: shared[0] = its capref of the
 * word; after round r's notify_wait it stores the result in shared[3]
 * and then r + 1 in shared[1]; shared[4] counts unexpected results;
 * shared[5] set: exit at once (after the first failed round: the kernel
 * at ae6c817 panics in that exit).
 */
#include "check.h"

#define ROUNDS 20
#define BITS(r) (0x5a00ul + (r))

static volatile uint64_t *shared;

static void spin_ms(uint64_t ms)
{
    uint64_t until = vn_clock_ns() + ms * 1000000;
    while (vn_clock_ns() < until)
        ;
}

static int waiter(void)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 2;
    shared = (volatile uint64_t *)m.va;
    capref_t word = (capref_t)shared[0];
    for (uint64_t r = 0; r < ROUNDS; r++) {
        long got;
        do      /* E_BUSY: the parent is probing the word */
            got = vn_notify_wait(word, r % 2 ? 10000000000ul : 0);
        while (got == -E_BUSY);
        shared[3] = (uint64_t)got;
        shared[1] = r + 1;
        if (got != (long)BITS(r)) {
            shared[4]++;
            spin_ms(30);
        }
        if (shared[5])
            break;
    }
    return shared[4] ? 1 : 0;
}

int main(uint64_t mode);
int main(uint64_t mode)
{
    if (mode == 1)
        return waiter();
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    CHECK(vn_sysinfo->ncpus >= 2);
    shared = vn_alloc_pages(1);
    long word = vn_notify_create();
    CHECK(word > 0);
    capref_t child = vn_spawn_share_stopped("notify_wake", 128, 1, 0, vn_page_cap((uint64_t)shared),
                                            CR_READ | CR_WRITE | CR_MAP, 0);
    CHECK(child > 0);
    long g = vn_cap_grant((capref_t)word, child, CR_READ);
    CHECK(g > 0);
    shared[0] = (uint64_t)g;
    CHECK_EQ(vn_env_start(child), 0);

    int woken = 0, early = 0, wrong = 0;
    for (uint64_t r = 0; r < ROUNDS; r++) {
        /* Until the child is the word's waiter (then our wait is refused). */
        long p;
        int probes = 0;
        while ((p = vn_notify_wait((capref_t)word, 1000)) != -E_BUSY && probes++ < 100000)
            CHECK(p == -E_TIMEOUT);
        CHECK_EQ(p, -E_BUSY);
        long w = vn_env_wake(child);
        if (w != 0) {
            printf("notify_wake: FAIL round %lu: env_wake on a notify_wait sleeper returned %ld\n", r, w);
            woken++;
        }
        /* It must still be waiting: give it 20 ms to show otherwise. */
        if (vn_env_wait(20000000, (const uint64_t *)&shared[1], r + 1, VN_WAIT_EQ) == VN_WAKE_PREDICATE) {
            printf("notify_wake: FAIL round %lu: notify_wait returned %lx after env_wake\n", r, shared[3]);
            early++;
        }
        CHECK_EQ(vn_notify_signal((capref_t)word, BITS(r)), 0);
        CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)&shared[1], r + 1, VN_WAIT_EQ), VN_WAKE_PREDICATE);
        if (shared[3] != BITS(r)) {
            printf("notify_wake: FAIL round %lu: the waiter got %lx, not the bits %lx\n", r, shared[3], BITS(r));
            wrong++;
        }
        if (woken || early || wrong) {      /* stop the child: it exits */
            shared[5] = 1;
            vn_notify_signal((capref_t)word, 1);
            break;
        }
    }
    CHECK_EQ(vn_wait(child), woken || early || wrong ? 1 : 0);
    printf("notify_wake: %d rounds on %lu CPUs: %d wakes taken, %d early returns, %d wrong results\n", ROUNDS,
           vn_sysinfo->ncpus, woken, early, wrong);
    CHECK(woken == 0 && early == 0 && wrong == 0);
    vn_notify_poll((capref_t)word);
    CHECK_EQ(vn_cap_delete((capref_t)word), 0);
    vn_mem_release_all();
    long lost = pages_unaccounted(free0, held0);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("notify_wake");
}
