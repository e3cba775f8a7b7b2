/*
 * Environments built from user space: spawn, exit status, kill by fault,
 * destroy through the capability, revocation of a granted page (the
 * child's mapping disappears and it is told by a page fault), faults
 * inside the handler and an unusable upcall stack (only the child dies),
 * and free pages back to exactly where they started after each.
 */
#include "check.h"

static uint64_t free_pages(void)
{
    return vn_sysinfo->free_pages;
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    /* Warm up: the first spawn maps the archive and a scratch page here,
     * which stay (with their page tables) as this libOS's own state. */
    CHECK_EQ(vn_wait(vn_spawn("child", 128, 0, 0)), 0);
    uint64_t free0 = free_pages();

    capref_t c = vn_spawn("child", 128, 0, 5);
    CHECK(c > 0);
    CHECK_EQ(vn_wait(c), 5);
    CHECK_EQ(free_pages(), free0);

    c = vn_spawn("child", 128, 1, 0);           /* faults, no handler */
    CHECK_EQ(vn_wait(c), -1);
    CHECK_EQ(free_pages(), free0);

    c = vn_spawn("child", 128, 3, 0);           /* spins until destroyed */
    for (int i = 0; i < 5; i++)
        vn_yield();
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info(c, &ci), 0);
    CHECK(ci.type == CAP_ENV && ci.env_status == 1);
    long weak = vn_cap_derive(c, CR_READ);
    CHECK_EQ(vn_env_destroy((capref_t)weak), -E_PERM);
    CHECK_EQ(vn_env_destroy(c), 0);
    /* Teardown may wait until the child leaves its CPU: derived env caps
     * die with it. */
    for (int i = 0; i < 1000 && vn_cap_info((capref_t)weak, &ci) == 0; i++)
        vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);
    CHECK_EQ(vn_cap_info((capref_t)weak, &ci), -E_BADCAP);
    CHECK_EQ(vn_env_start(c), -E_DEAD);
    CHECK_EQ(vn_wait(c), -1);
    CHECK_EQ(free_pages(), free0);

    /* Grant a page to a child, then revoke it: the child's mapping goes
     * and its next access faults (it exits 7); never a stale read (99). */
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)page, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    *(volatile uint64_t *)va = 0x1234;
    c = vn_spawn_share("child", 128, 4, 0, (capref_t)page, CR_READ | CR_WRITE | CR_MAP);
    CHECK(c > 0);
    CHECK_EQ(vn_cap_grant((capref_t)page, c, CR_READ | CR_MAP | CR_CONTROL), -E_PERM);
    long nogrant = vn_cap_derive((capref_t)page, CR_READ | CR_MAP);
    CHECK_EQ(vn_cap_grant((capref_t)nogrant, c, CR_READ), -E_PERM);     /* lacks CR_GRANT */
    long weakenv = vn_cap_derive(c, CR_READ | CR_MAP);
    CHECK_EQ(vn_cap_grant((capref_t)page, (capref_t)weakenv, CR_READ), -E_PERM);  /* env lacks CR_WRITE */
    CHECK_EQ(vn_env_start(c), -E_BUSY);
    /* Wait (sleeping, not spinning) until the child has mapped the page. */
    CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)(va + 8), 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
    CHECK_EQ(vn_cap_info(c, &ci), 0);
    CHECK(ci.env_status == 1);                  /* still watching the page */
    CHECK_EQ(vn_cap_revoke((capref_t)page), 0); /* takes nogrant and the child's copy */
    CHECK_EQ(vn_cap_info((capref_t)nogrant, &ci), -E_BADCAP);
    CHECK_EQ(vn_wait(c), 7);
    CHECK(*(volatile uint64_t *)va == 0x1234);  /* our own mapping is the root's */
    *(volatile uint64_t *)(va + 8) = 0;
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    CHECK(!(vn_pte(va) & 1));
    CHECK_EQ(free_pages(), free0);

    /* A fault inside the fault handler, and an unusable upcall stack. */
    c = vn_spawn("child", 128, 5, 0);
    CHECK_EQ(vn_wait(c), -1);
    c = vn_spawn("child", 128, 6, 0);
    CHECK_EQ(vn_wait(c), -1);
    CHECK_EQ(free_pages(), free0);

    /* Too little quota to exist, or more than we have: clean errors. */
    CHECK_EQ(vn_env_create(2, "tiny"), -E_QUOTA);
    CHECK_EQ(vn_env_create(1ul << 40, "huge"), -E_QUOTA);
    CHECK_EQ(vn_spawn("child", 12, 0, 0), -E_QUOTA);
    CHECK_EQ(vn_spawn("no-such-program", 128, 0, 0), -E_NOENT);
    CHECK_EQ(free_pages(), free0);
    printf("env_lifecycle: free pages %lu at start, %lu now\n", free0, free_pages());
    return check_done("env_lifecycle");
}
