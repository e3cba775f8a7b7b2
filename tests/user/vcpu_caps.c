/*
 * vCPUs share their space's capability table (issue 13: threads that
 * allocate, map and call like the main thread).
 *
 * A vCPU's references name its space owner's table, except slot CAP_SELF,
 * which is the vCPU itself.  What a vCPU makes (pages, notification words,
 * endpoints, children, derived capabilities) lands in that shared table,
 * is charged to the owner, and outlives the vCPU.  Checked here, on two
 * CPUs at once, in rounds:
 *   - the vCPU uses a capability the owner made before it started;
 *   - it allocates and maps pages, makes a notification word, a child
 *     environment and an endpoint of itself, then exits; the owner uses
 *     every one afterwards and deletes them;
 *   - CAP_SELF in the vCPU names the vCPU (its id), not the owner, and
 *     cannot be deleted; setting its own upcall leaves the owner's alone;
 *   - a vCPU killed while it makes capabilities in a loop leaves the
 *     table consistent (in a child, which then ends well);
 *   - no page is lost: free pages and the owner's charge return to what
 *     they were before the first round.
 */
#include "check.h"

#define ROUNDS 20
#define KILL_ROUNDS 10

enum { S_GO, S_DONE, S_PAGE, S_NOTIFY, S_CHILD, S_ENDPOINT, S_SELF_ID, S_DEL_SELF, S_OWNER_MAP,
       S_DERIVED, S_LOOPS, S_N };

static volatile int64_t st[S_N];
static capref_t owner_page;         /* made by the owner before the vCPU starts */
static uint64_t map_va, owner_va;

__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_work(void)
{
    struct vn_map_entry m = {owner_va, owner_page, VM_PROT_WRITE, 0};
    st[S_OWNER_MAP] = vn_page_map(CAP_SELF, &m, 1);
    if (st[S_OWNER_MAP] == 1)
        *(volatile uint64_t *)owner_va = 0xfeed;
    long p = vn_page_alloc(CAP_SELF, 0, 4);
    st[S_PAGE] = p;
    if (p >= 0) {
        struct vn_map_entry e[4];
        for (unsigned i = 0; i < 4; i++)
            e[i] = (struct vn_map_entry){map_va + i * PAGE_SIZE, (capref_t)p, VM_PROT_WRITE, i};
        if (vn_page_map(CAP_SELF, e, 4) == 4)
            for (unsigned i = 0; i < 4; i++)
                *(volatile uint64_t *)(map_va + i * PAGE_SIZE) = 0xabc0 + i;
        st[S_DERIVED] = vn_cap_derive((capref_t)p, CR_READ);
    }
    st[S_NOTIFY] = vn_notify_create();
    st[S_CHILD] = vn_env_create(16, "vcpu-child");
    st[S_ENDPOINT] = vn_ipc_endpoint(CAP_SELF);
    struct vn_capinfo ci;
    st[S_SELF_ID] = vn_cap_info(CAP_SELF, &ci) == 0 ? (int64_t)ci.object : -1;
    st[S_DEL_SELF] = vn_cap_delete(CAP_SELF);
    __atomic_store_n(&st[S_DONE], 1, __ATOMIC_RELEASE);
    vn_exit(0);
    for (;;)
        ;
}

/* Makes and drops capabilities until it is killed; the notification
 * words it keeps are recorded in kept[]. */
static volatile int64_t kept[64];

__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_churn(void)
{
    for (uint64_t i = 0;; i++) {
        long n = vn_notify_create();
        long p = vn_page_alloc(CAP_SELF, 0, 1);
        long d = p >= 0 ? vn_cap_derive((capref_t)p, CR_READ) : -1;
        if (n >= 0 && (i & 1))
            kept[(i / 2) % 64] = n;             /* the others are left behind, unrecorded */
        if (p >= 0 && (i & 2))
            vn_cap_delete((capref_t)p);         /* with it, its derived one */
        (void)d;
        __atomic_add_fetch(&st[S_LOOPS], 1, __ATOMIC_RELAXED);
    }
}

static capref_t start_vcpu(void (*fn)(void), uint64_t stack)
{
    long v = vn_env_create_vcpu(16, "kvcpu");
    CHECK(v >= 0);
    struct vn_regs regs = {.rip = (uint64_t)fn, .rsp = stack - 8};
    CHECK_EQ(vn_env_set_regs((capref_t)v, &regs), 0);
    CHECK_EQ(vn_env_start((capref_t)v), 0);
    return (capref_t)v;
}

/* Mode 1, a child: vCPUs killed while they make capabilities leave our
 * table consistent; what they left dies with us (the parent counts the
 * pages). */
static int kill_rounds(uint64_t stack_top)
{
    for (int r = 0; r < KILL_ROUNDS; r++) {
        for (int i = 0; i < 64; i++)
            kept[i] = -1;
        st[S_LOOPS] = 0;
        capref_t v = start_vcpu(vcpu_churn, stack_top);
        for (int t = 0; t < 5000 && st[S_LOOPS] < 200 + 50 * r; t++)
            vn_env_wait(100000, NULL, 0, VN_WAIT_NONE);
        CHECK_EQ(vn_env_destroy(v), 0);
        CHECK_EQ(vn_wait(v), -1);
        CHECK(st[S_LOOPS] >= 200);
        for (int i = 0; i < 64; i++)
            if (kept[i] >= 0) {
                CHECK_EQ(vn_notify_signal((capref_t)kept[i], 1u << (i % 8)), 0);
                CHECK_EQ(vn_notify_poll((capref_t)kept[i]), 1u << (i % 8));
            }
        long n = vn_notify_create();
        CHECK(n >= 0 && vn_cap_delete((capref_t)n) == 0);
    }
    return check_failures ? 1 : 0;
}

int main(uint64_t mode);
int main(uint64_t mode)
{
    uint64_t *stack = vn_alloc_pages(4);
    uint64_t stack_top = (uint64_t)stack + 4 * PAGE_SIZE;
    if (mode == 1)
        return kill_rounds(stack_top);
    CHECK(vn_sysinfo->ncpus >= 2);
    map_va = vn_va_reserve(4);
    owner_va = vn_va_reserve(1);
    uint64_t size;
    CHECK(vn_archive_find("vcpu_caps", &size) != NULL);    /* map the archive (for the spawn) before counting */
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < S_N; i++)
            st[i] = -1000;
        st[S_DONE] = 0;
        long op = vn_page_alloc(CAP_SELF, 0, 1);
        CHECK(op >= 0);
        owner_page = (capref_t)op;
        capref_t v = start_vcpu(vcpu_work, stack_top);
        struct vn_capinfo vi;
        CHECK_EQ(vn_cap_info(v, &vi), 0);
        CHECK_EQ(vn_wait(v), 0);
        CHECK_EQ(st[S_DONE], 1);
        CHECK_EQ(st[S_OWNER_MAP], 1);                       /* the owner's capability, from the vCPU */
        CHECK_EQ(*(volatile uint64_t *)owner_va, 0xfeed);
        CHECK_EQ(st[S_SELF_ID], (int64_t)vi.object);        /* CAP_SELF is the vCPU itself */
        CHECK_EQ(st[S_DEL_SELF], -E_INVAL);
        struct vn_capinfo ci;
        /* Everything it made outlives it, in our table. */
        CHECK(st[S_PAGE] >= 0 && vn_cap_info((capref_t)st[S_PAGE], &ci) == 0 && ci.type == CAP_PAGE && ci.count == 4);
        for (unsigned i = 0; i < 4; i++)
            CHECK_EQ(*(volatile uint64_t *)(map_va + i * PAGE_SIZE), 0xabc0 + i);
        CHECK(st[S_DERIVED] >= 0 && vn_cap_info((capref_t)st[S_DERIVED], &ci) == 0 && ci.rights == CR_READ);
        CHECK(st[S_NOTIFY] >= 0);
        CHECK_EQ(vn_notify_signal((capref_t)st[S_NOTIFY], 5), 0);
        CHECK_EQ(vn_notify_poll((capref_t)st[S_NOTIFY]), 5);
        CHECK(st[S_CHILD] >= 0 && vn_cap_info((capref_t)st[S_CHILD], &ci) == 0 && ci.type == CAP_ENV &&
              ci.env_status == 1);
        /* Its endpoint named the vCPU, which is gone: a call finds it dead. */
        CHECK(st[S_ENDPOINT] >= 0);
        CHECK_EQ(vn_ipc_call((capref_t)st[S_ENDPOINT], 1, 2, 3, 4, -1), -E_DEAD);
        vn_page_unmap(CAP_SELF, map_va, 4);
        vn_page_unmap(CAP_SELF, owner_va, 1);
        CHECK_EQ(vn_cap_delete((capref_t)st[S_PAGE]), 0);
        CHECK_EQ(vn_cap_info((capref_t)st[S_DERIVED], &ci), -E_BADCAP);  /* went with its root */
        CHECK_EQ(vn_cap_delete((capref_t)st[S_NOTIFY]), 0);
        CHECK_EQ(vn_cap_delete((capref_t)st[S_CHILD]), 0);
        CHECK_EQ(vn_cap_delete((capref_t)st[S_ENDPOINT]), 0);
        CHECK_EQ(vn_cap_delete(owner_page), 0);
    }
    /* Killed while it makes capabilities, in a child: it must end well and
     * give every page back. */
    capref_t c = vn_spawn("vcpu_caps", 2048, 1, 0);
    CHECK(c > 0);
    CHECK_EQ(vn_wait(c), 0);
    long lost = pages_unaccounted(free0, held0);
    printf("vcpu_caps: %d rounds, %d kills, held %lu before, %lu after, %ld pages unaccounted\n", ROUNDS,
           KILL_ROUNDS, held0, vn_envinfo->held, lost);
    CHECK(vn_envinfo->held <= held0 + SLAB_SLACK);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("vcpu_caps");
}
