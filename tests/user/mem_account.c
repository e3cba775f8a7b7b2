/*
 * Shared quota accounts (env_create_shared): a child that reserves
 * nothing, whose pages are charged when they come to it (up to its limit)
 * and to its creator's account.  Three levels of this one program:
 *  mode 0 (kernel-started): the charge appears in our own held as the
 *    child uses pages, and goes when they go; limits above our quota, below
 *    ENV_MIN_QUOTA or near 2^64 are refused; the child's limit holds
 *    (E_QUOTA); raising it reserves nothing; stale, forged and weakened
 *    capabilities are refused.  Then runs mode 1 with a small reserved
 *    quota, and checks that every page came back.
 *  mode 1 (a reserved quota of ACCOUNT pages: the account): runs mode 2 as
 *    a shared child, then starts a shared hog and exits at once, so that
 *    the hog (and the account's sharers) are charged after the account
 *    died.
 *  mode 2 (a sharer of mode 1's account): two shared children of its own
 *    (charged to mode 1's account, not to mode 2): together they cannot
 *    pass the account, though each stays under its own limit; freeing one
 *    gives the other room.
 */
#include "check.h"

#define ACCOUNT 700
#define LIMIT 400
#define ARCHIVE_RIGHTS (CR_READ | CR_MAP | CR_GRANT)     /* passed on: the programs are in it */

/* Allocate pages one at a time into env until refused; returns how many
 * (the refusal in *err).  Our derived copies go at once: the pages stay,
 * with their roots in env's table, and our table does not grow. */
static uint64_t fill(capref_t env, uint64_t max, long *err)
{
    uint64_t n = 0;
    *err = 0;
    while (n < max) {
        long r = vn_page_alloc(env, 0, 1);
        if (r < 0) {
            *err = r;
            break;
        }
        vn_cap_delete((capref_t)r);
        n++;
    }
    return n;
}

static int nested(void)
{
    long err;
    long a = vn_env_create_shared(LIMIT, "share-a"), b = vn_env_create_shared(LIMIT, "share-b");
    CHECK(a > 0 && b > 0);
    uint64_t held0 = vn_envinfo->held;
    uint64_t na = fill((capref_t)a, 1000, &err);
    CHECK_EQ(err, -E_QUOTA);
    CHECK(na < LIMIT);
    CHECK_EQ(vn_envinfo->held, held0);              /* the account pays, not we */
    uint64_t nb = fill((capref_t)b, 1000, &err);
    CHECK_EQ(err, -E_QUOTA);
    printf("mem_account: sharers got %lu and %lu pages of an account of %u (limits %u)\n", na, nb, ACCOUNT,
           LIMIT);
    CHECK(na + nb < ACCOUNT && nb < na);            /* the account ran out first */
    CHECK_EQ(vn_cap_delete((capref_t)a), 0);        /* its pages go back to the account */
    uint64_t more = fill((capref_t)b, 1000, &err);
    CHECK_EQ(err, -E_QUOTA);
    CHECK(more > 0 && nb + more < LIMIT);
    CHECK_EQ(vn_cap_delete((capref_t)b), 0);
    return check_failures ? 1 : 0;
}

static int account(void)
{
    capref_t n = vn_spawn_share_stopped("mem_account", LIMIT, 2, 0, VN_CAP_ARCHIVE, ARCHIVE_RIGHTS, VN_SPAWN_SHARED);
    if (n < 0)
        printf("mem_account: account holds %lu of %lu: %s\n", vn_envinfo->held, vn_envinfo->quota, vn_strerror(n));
    CHECK(n > 0);
    CHECK_EQ(vn_env_start(n), 0);
    CHECK_EQ(vn_wait(n), 0);
    /* A hog that keeps allocating after we are gone. */
    capref_t hog = vn_spawn_share_stopped("child", LIMIT, 2, 0, -1, 0, VN_SPAWN_SHARED);
    CHECK(hog > 0);
    CHECK_EQ(vn_env_start(hog), 0);
    vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);  /* it is allocating (or full) when we go */
    return check_failures ? 1 : 0;
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    (void)arg;
    if (mode == 2)
        return nested();
    if (mode == 1)
        return account();
    CHECK_EQ(vn_wait(vn_spawn("child", 128, 0, 0)), 0);    /* warm up (archive, scratch) */
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;

    /* Limits: at most our own quota, at least ENV_MIN_QUOTA, no wrap. */
    CHECK_EQ(vn_env_create_shared(vn_envinfo->quota + 1, "over"), -E_QUOTA);
    CHECK_EQ(vn_env_create_shared(~0ul, "wrap"), -E_QUOTA);
    CHECK_EQ(vn_env_create_shared(3, "tiny"), -E_QUOTA);
    CHECK_EQ(vn_env_create_shared(64, (const char *)8), -E_FAULT);
    CHECK_EQ(vn_envinfo->held, held0);

    /* Charged as it is used, to it and to us; nothing reserved. */
    long s = vn_env_create_shared(64, "sharer");
    CHECK(s > 0);
    uint64_t empty = vn_envinfo->held - held0;      /* its info page, tables, capability table */
    CHECK(empty > 0 && empty < 16);
    long err;
    uint64_t got = fill((capref_t)s, 1000, &err);
    CHECK_EQ(err, -E_QUOTA);
    CHECK(got + empty <= 64 && got + empty >= 62);  /* its limit (less its capability pages) */
    CHECK_EQ(vn_envinfo->held - held0, 64);
    /* Raising its limit reserves nothing from us; it may then use more. */
    CHECK_EQ(vn_env_set_quota((capref_t)s, 96), 0);
    CHECK_EQ(vn_envinfo->held - held0, 64);
    CHECK_EQ(fill((capref_t)s, 1000, &err), 32);
    CHECK_EQ(vn_env_set_quota((capref_t)s, 1ul << 62), 0);     /* a limit, however high */
    long weak = vn_cap_derive((capref_t)s, CR_READ | CR_WRITE);
    CHECK_EQ(vn_page_alloc((capref_t)weak, 0, 1), -E_PERM);    /* no CR_CONTROL */
    CHECK_EQ(vn_env_set_quota((capref_t)weak, 8), -E_PERM);
    CHECK_EQ(vn_page_alloc((capref_t)0x7ffe1234, 0, 1), -E_BADCAP);   /* forged */
    CHECK_EQ(vn_cap_delete((capref_t)s), 0);        /* destroys it: every page back */
    CHECK_EQ(vn_page_alloc((capref_t)s, 0, 1), -E_BADCAP);     /* stale */
    CHECK_EQ(vn_envinfo->held, held0);

    /* A small account, its sharers, and a hog charging after it died. */
    capref_t acct = vn_spawn_share("mem_account", ACCOUNT, 1, 0, VN_CAP_ARCHIVE, ARCHIVE_RIGHTS);
    CHECK(acct > 0);
    CHECK_EQ(vn_wait(acct), 0);
    for (int i = 0; i < 200 && vn_sysinfo->free_pages != free0; i++)
        vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);   /* the hog is torn down after the account */
    printf("mem_account: free pages %lu before, %lu after\n", free0, vn_sysinfo->free_pages);
    CHECK_EQ(vn_envinfo->held, held0);
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("mem_account");
}
