/*
 * The shared tier (kernel/klock.h) under fire: page_alloc, page_map,
 * page_unmap, cap_delete and page faults run on several CPUs at once
 * without the big lock, so this makes them collide, on the same objects,
 * with each other and with the big lock's calls.
 *   - WORKERS environments (one per CPU and more) each loop: a fresh
 *     private page (faulted in, mapped by the handler) must read zero and
 *     keep what it writes until unmapped and freed (a frame handed to
 *     two at once, or reused before it was free, shows the other's
 *     pattern); then they map the parent's SHARED pages through their
 *     granted capability, add one to a counter in it, and unmap them again.
 *   - Meanwhile the parent revokes those capabilities (the big lock:
 *     every worker's mapping of them goes, from spaces loaded on other
 *     CPUs) and grants new ones, ROUNDS times.  A worker whose counter
 *     page went from under it faults, maps a scratch page there, and does
 *     not count that increment.
 * Checks: no worker saw a foreign or non-zero fresh page; the counter
 * equals the sum of the increments the workers counted; every page comes
 * back (the leak check, and the kernel's at shutdown).
 */
#include "check.h"

#define WORKERS 5
#define SHARED 4
#define ROUNDS 200
#define QUOTA 256

enum { W_WORKER = 0x7e0 };

/* The control page, shared with every worker: */
#define C_STOP 0            /* 1: finish */
#define C_DONE 1            /* workers finished */
#define C_REF(i) (8 + (i))  /* worker i's capability for the shared pages (its table) */
#define C_COUNT(i) (16 + (i))   /* increments worker i counted */
#define C_BAD(i) (24 + (i))     /* wrong pages worker i saw */
#define C_LOST(i) (32 + (i))    /* increments that faulted (revoked meanwhile) */
static volatile uint64_t *ctl;

static uint64_t shared_va, private_va;
static volatile bool lost;

/* A worker's faults: its private page (mapped fresh), or a shared page
 * revoked under it (a scratch page there, the increment not counted). */
static bool on_fault(struct vn_xframe *x)
{
    uint64_t va = x->addr & ~(PAGE_SIZE - 1);
    if (x->err & PF_PRESENT)
        return false;
    if (va >= shared_va && va < shared_va + SHARED * PAGE_SIZE)
        lost = true;
    else if (va != private_va)
        return false;
    return vn_map_fresh(va, 1, VM_PROT_WRITE) == 0;
}

static int worker(uint64_t idx)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 1;
    ctl = (volatile uint64_t *)va;
    shared_va = vn_va_reserve(SHARED);
    private_va = vn_va_reserve(1);
    if (vn_upcalls_init() < 0 || vn_pgfault_register(on_fault) < 0)
        return 1;
    uint64_t count = 0, bad = 0, nlost = 0;
    volatile uint64_t *p = (volatile uint64_t *)private_va;
    for (uint64_t i = 0; !ctl[C_STOP]; i++) {
        /* A fresh page: zero, then ours alone until freed. */
        if (p[0] || p[300] || p[511])
            bad++;
        uint64_t mark = idx << 48 | i;
        p[0] = mark, p[300] = ~mark, p[511] = mark ^ 0x5a5a;
        for (int k = 0; k < 20; k++)
            __asm__ volatile("pause");
        if (p[0] != mark || p[300] != ~mark || p[511] != (mark ^ 0x5a5a))
            bad++;
        vn_unmap_free(private_va, 1);
        /* The shared pages, through whatever capability we hold now. */
        struct vn_map_entry e[SHARED];
        for (unsigned j = 0; j < SHARED; j++)
            e[j] = (struct vn_map_entry){shared_va + j * PAGE_SIZE, (capref_t)ctl[C_REF(idx)], VM_PROT_WRITE, j};
        if (vn_page_map(CAP_SELF, e, SHARED) == SHARED) {
            lost = false;
            __atomic_fetch_add((uint64_t *)(shared_va + (i % SHARED) * PAGE_SIZE), 1, __ATOMIC_SEQ_CST);
            if (lost)
                nlost++;
            else
                count++;
            vn_unmap_free(shared_va, SHARED);      /* and frees a scratch page put there */
        }
    }
    ctl[C_COUNT(idx)] = count, ctl[C_BAD(idx)] = bad, ctl[C_LOST(idx)] = nlost;
    __atomic_fetch_add(&ctl[C_DONE], 1, __ATOMIC_SEQ_CST);
    vn_env_wake_word((const uint64_t *)&ctl[C_DONE]);
    for (;;)
        vn_env_wait(0, (const uint64_t *)&ctl[C_STOP], 1, VN_WAIT_NE);
}

int main(uint64_t arg0, uint64_t arg1);
int main(uint64_t arg0, uint64_t arg1)
{
    if (arg0 == W_WORKER)
        return worker(arg1);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    ctl = vn_alloc_pages(1);
    capref_t root = (capref_t)vn_page_alloc(CAP_SELF, 0, SHARED);
    CHECK(root >= 0);
    uint64_t sva = vn_va_reserve(SHARED);
    struct vn_map_entry e[SHARED];
    for (unsigned j = 0; j < SHARED; j++)
        e[j] = (struct vn_map_entry){sva + j * PAGE_SIZE, root, VM_PROT_WRITE, j};
    CHECK_EQ(vn_page_map(CAP_SELF, e, SHARED), SHARED);
    capref_t w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = vn_spawn_share_stopped("mem_tier_race", QUOTA, W_WORKER, (uint64_t)i, vn_page_cap((uint64_t)ctl),
                                      CR_READ | CR_WRITE | CR_MAP, 0);
        CHECK(w[i] >= 0);
        long g = vn_cap_grant(root, w[i], CR_READ | CR_WRITE | CR_MAP);
        CHECK(g >= 0);
        ctl[C_REF(i)] = (uint64_t)g;
        CHECK_EQ(vn_env_start(w[i]), 0);
    }
    /* Revoke and grant again while they work. */
    for (int round = 0; round < ROUNDS; round++) {
        vn_env_wait(2000000, NULL, 0, VN_WAIT_NONE);
        CHECK_EQ(vn_cap_revoke(root), 0);
        for (int i = 0; i < WORKERS; i++) {
            long g = vn_cap_grant(root, w[i], CR_READ | CR_WRITE | CR_MAP);
            CHECK(g >= 0);
            ctl[C_REF(i)] = (uint64_t)g;
        }
    }
    ctl[C_STOP] = 1;
    uint64_t done;
    while ((done = ctl[C_DONE]) < WORKERS)
        CHECK(vn_env_wait(20000000000ul, (const uint64_t *)&ctl[C_DONE], done, VN_WAIT_NE) >= 0);
    uint64_t total = 0, sum = 0, nlost = 0;
    for (unsigned j = 0; j < SHARED; j++)
        total += *(volatile uint64_t *)(sva + j * PAGE_SIZE);
    for (int i = 0; i < WORKERS; i++) {
        CHECK_EQ(ctl[C_BAD(i)], 0);
        CHECK(ctl[C_COUNT(i)] > 0);
        sum += ctl[C_COUNT(i)], nlost += ctl[C_LOST(i)];
    }
    printf("mem_tier_race: %lu increments counted, %lu in the pages, %lu lost to revocation\n",
           (unsigned long)sum, (unsigned long)total, (unsigned long)nlost);
    CHECK_EQ(total, sum);
    for (int i = 0; i < WORKERS; i++)
        vn_kill(w[i]);
    vn_page_unmap(CAP_SELF, sva, SHARED);
    CHECK_EQ(vn_cap_delete(root), 0);
    vn_unmap_free((uint64_t)ctl, 1);
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("mem_tier_race");
}
