/*
 * Hostile: the lock-free tier of `null` (kernel/arch/x86_64/trapentry.S,
 * syscall_nolock in trap.c) takes no lock and looks only at the caller,
 * so whatever another CPU does to a caller that spins on it must still
 * reach it: a revocation request's upcall (revoke_upcall_due) and a kill
 * (the kick, taken right after sysretq).
 *
 * Each round: a child spins on vn_null() on the other CPU, counting its
 * calls in a shared page; we lower its quota below what it holds (its
 * handler must run while it spins: the tier sends it down the general
 * path, so it runs within a few calls, not at the end of a slice
 * thousands of calls later), then kill it (vn_kill must come back, and its counter must stop).
 * Also: the tier's calls are counted in vn_sysinfo->syscalls (by the next
 * tick of the CPU that made them) and in the null row of the path counters.
 *
 * Modes (arg0): 0 the test; 1 the child.  Shared page: [1] null calls,
 * [2] revocation upcalls seen, [3] pages asked for, [4] null calls made
 * before the upcall.
 */
#include "check.h"

#define ROUNDS      20
#define CHILD_QUOTA 256
#define CALLS       10000
#define LATE        100     /* null calls after the request: the upcall is late */

static volatile uint64_t *shared;

static void on_revoke(uint64_t npages)
{
    shared[3] = npages;
    shared[4] = shared[1];
    shared[2]++;
}

static int child(void)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 2;
    shared = (volatile uint64_t *)m.va;
    vn_upcalls_init();
    vn_revoke_handler(on_revoke);
    if (!vn_alloc_pages(CHILD_QUOTA / 2))    /* more than the quota it will be cut to */
        return 3;
    for (;;) {
        vn_null();
        shared[1]++;
    }
}

int main(uint64_t mode);
int main(uint64_t mode)
{
    if (mode == 1)
        return child();
    CHECK(vn_sysinfo->ncpus >= 2);
    shared = vn_alloc_pages(1);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;

    /* Counting: every call of the tier is a syscall served. */
    uint64_t sys0 = vn_sysinfo->syscalls, path0 = vn_sysinfo->paths[0][0];
    for (int i = 0; i < CALLS; i++)
        CHECK_EQ(vn_null(), 0);
    /* Counted by this CPU, added to the shared count at its next tick
     * (a sleep with a timeout makes one). */
    for (int k = 0; k < 100 && vn_sysinfo->syscalls - sys0 < CALLS; k++)
        vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);
    CHECK(vn_sysinfo->syscalls - sys0 >= CALLS);
    CHECK(path0 >= 0xff00 || vn_sysinfo->paths[0][0] - path0 >= CALLS / 2);

    int upcalls = 0, stopped = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < 8; i++)
            shared[i] = 0;
        capref_t c = vn_spawn_share("null_tier", CHILD_QUOTA, 1, 0, vn_page_cap((uint64_t)shared),
                                    CR_READ | CR_WRITE | CR_MAP);
        CHECK(c > 0);
        if (c <= 0)
            break;
        CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)&shared[1], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
        /* Below what it holds: the request and its upcall go to a child
         * that is, nearly always, inside the tier or about to enter it. */
        CHECK_EQ(vn_env_set_quota(c, CHILD_QUOTA / 2), 0);
        uint64_t asked = shared[1];
        vn_env_wait(2000000000ul, (const uint64_t *)&shared[2], 0, VN_WAIT_NE);
        upcalls += shared[2] != 0 && shared[3] != 0 && (int64_t)(shared[4] - asked) <= LATE;
        if (!shared[2] || (int64_t)(shared[4] - asked) > LATE)
            printf("null_tier: FAIL round %d: revocation upcall %s (%ld calls after the request)\n", r,
                   shared[2] ? "late" : "never delivered", (long)(shared[4] - asked));
        vn_kill(c);
        uint64_t n = shared[1];
        vn_env_wait(10000000, NULL, 0, VN_WAIT_NONE);
        stopped += shared[1] == n;
        if (shared[1] != n)
            printf("null_tier: FAIL round %d: the killed child still runs\n", r);
    }
    printf("null_tier: %d rounds on %lu CPUs: %d revocation upcalls, %d children stopped\n", ROUNDS,
           vn_sysinfo->ncpus, upcalls, stopped);
    CHECK(upcalls == ROUNDS && stopped == ROUNDS);
    long lost = pages_unaccounted(free0, held0);
    if (labs(lost) > SLAB_SLACK)
        printf("null_tier: FAIL %ld pages unaccounted\n", lost);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("null_tier");
}
