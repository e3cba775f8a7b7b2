/*
 * Hostile regression (issue 12, hole 5): an environment killed inside
 * env_wait must stay dead.
 *
 * The child has a vCPU spinning on another CPU (so its teardown must wait
 * for that vCPU to leave) and a revocation request it ignores: we lower
 * its quota below what it can ever give back (its vCPU's reservation
 * alone is larger), and it calls env_wait with a 1 ns timeout in a loop.
 * At the deadline, the yield inside env_wait repossesses its pages and
 * kills it.  The kernel at ae6c817 then still marked it sleeping: its
 * timeout woke the dead environment, which ran again and was killed and
 * torn down a second time (page_free: bad or double free, or another
 * panic).
 *
 * Looped ROUNDS times in one boot.  Each round: the child never comes
 * back from the fatal env_wait (it says so in shared memory if it does),
 * its root capability reports it killed, not exited; at the end every
 * page is accounted for.
 *
 * Modes (arg0): 0 the test; 1 the child; shared page: [1] ready, [2] go,
 * [3] env_waits returned, [4] came back after repossession, [6] the vCPU's
 * spin counter.
 */
#include "check.h"

#define ROUNDS       30
#define CHILD_QUOTA  256
#define VCPU_QUOTA   64
#define SHRUNK_QUOTA 16     /* below the vCPU's reservation: repossession cannot satisfy it */

static volatile uint64_t *shared;

__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_spin(void)
{
    for (;;)
        shared[6]++;
}

static int child(void)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 2;
    shared = (volatile uint64_t *)m.va;
    uint64_t *vstack = vn_alloc_pages(2);
    long v = vn_env_create_vcpu(VCPU_QUOTA, "kvcpu");
    if (!vstack || v < 0)
        return 3;
    struct vn_regs regs = {.rip = (uint64_t)vcpu_spin, .rsp = (uint64_t)vstack + 2 * PAGE_SIZE - 8};
    if (vn_env_set_regs((capref_t)v, &regs) < 0 || vn_env_start((capref_t)v) < 0)
        return 4;
    /* Until the vCPU spins, then until the parent has shrunk our quota. */
    vn_env_wait(5000000000ul, (const uint64_t *)&shared[6], 0, VN_WAIT_NE);
    shared[1] = 1;
    vn_env_wait(10000000000ul, (const uint64_t *)&shared[2], 0, VN_WAIT_NE);
    /* Ignore the request; every env_wait is a yield toward the deadline. */
    for (uint64_t n = 0; n < 1000; n++) {
        vn_env_wait(1, NULL, 0, VN_WAIT_NONE);
        shared[3] = n + 1;
        if (vn_envinfo->repossessed_total) {
            shared[4] = 1;      /* we were repossessed and still run */
            return 77;
        }
    }
    return 78;
}

int main(uint64_t mode);
int main(uint64_t mode)
{
    if (mode == 1)
        return child();
    CHECK(vn_sysinfo->ncpus >= 2);
    shared = vn_alloc_pages(1);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    int killed = 0, survived = 0;
    uint64_t waits_max = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < 8; i++)
            shared[i] = 0;
        capref_t c = vn_spawn_share("env_wait_kill", CHILD_QUOTA, 1, 0, vn_page_cap((uint64_t)shared),
                                    CR_READ | CR_WRITE | CR_MAP);
        CHECK(c > 0);
        if (c <= 0)
            break;
        CHECK_EQ(vn_env_wait(10000000000ul, (const uint64_t *)&shared[1], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
        CHECK_EQ(vn_env_set_quota(c, SHRUNK_QUOTA), 0);
        shared[2] = 1;
        /* Stay off the CPUs while it dies: the vCPU must be running then. */
        struct vn_capinfo ci;
        vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
        for (int t = 0; t < 2500 && vn_cap_info(c, &ci) == 0 && ci.env_status == 1; t++)
            vn_env_wait(2000000, NULL, 0, VN_WAIT_NONE);
        CHECK_EQ(vn_cap_info(c, &ci), 0);
        if (ci.env_status != -1 || shared[4])
            printf("env_wait_kill: FAIL round %d: child status %d (exit %d), %s after repossession\n", r,
                   ci.env_status, ci.exit_status, shared[4] ? "it ran again" : "not seen running");
        killed += ci.env_status == -1;
        survived += shared[4] != 0;
        if (shared[3] > waits_max)
            waits_max = shared[3];
        CHECK_EQ(vn_cap_delete(c), 0);
    }
    printf("env_wait_kill: %d rounds on %lu CPUs: %d killed, %d ran again after repossession, at most %lu env_waits "
           "returned\n", ROUNDS, vn_sysinfo->ncpus, killed, survived, waits_max);
    CHECK(killed == ROUNDS && survived == 0);
    long lost = pages_unaccounted(free0, held0);
    if (labs(lost) > SLAB_SLACK)
        printf("env_wait_kill: FAIL %ld pages unaccounted\n", lost);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("env_wait_kill");
}
