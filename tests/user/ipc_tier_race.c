/*
 * The shared tier's IPC switch (kernel/ipc.c: ipc_call_shared,
 * ipc_reply_recv_shared) under fire, on four CPUs.  CLIENTS environments
 * call one server through endpoints badged one per client, all at once, so
 * that calls meet a busy server (queued, under the big lock) or race for
 * an idle one (its space lock, taken only if free); a third of the calls
 * set a timeout and a few transfer a capability (both the big lock's).
 * Meanwhile the parent kills the server and starts a new one, ROUNDS
 * times, with new endpoints.  Every reply must be the answer to the
 * client's own call (its sequence number, its badge, its id): a message,
 * badge or switch crossed between two clients shows as a wrong reply.
 * Calls to a dead server fail with -E_DEAD, -E_BADCAP or -E_TIMEOUT, and
 * every page comes back.
 */
#include "check.h"
#include <ipc.h>

#define CLIENTS 5
#define ROUNDS 30
#define QUOTA 256

enum { W_CLIENT = 0x7d0, W_SERVER };

#define C_STOP 0
#define C_DONE 1
#define C_EP(i) (8 + (i))       /* client i's endpoint (its table), 0: none yet */
#define C_OK(i) (16 + (i))      /* calls answered */
#define C_WRONG(i) (24 + (i))   /* replies that were not the answer to its call */
#define C_FAIL(i) (32 + (i))    /* calls that failed (a dead server) */
static volatile uint64_t *ctl;

static void map_ctl(void)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        vn_env_exit(2);
    ctl = (volatile uint64_t *)va;
}

/* The server's answer to each call: (w[0] + 1, the badge it came
 * through, w[1]); a transferred capability is dropped. */
static void answer(const struct vn_msg *req, uint64_t rep[4])
{
    rep[0] = req->w[0] + 1, rep[1] = req->badge, rep[2] = req->w[1], rep[3] = 0;
    if (req->cap >= 0)
        vn_cap_delete(req->cap);
}

static int client(uint64_t idx)
{
    map_ctl();
    uint64_t ok = 0, wrong = 0, fail = 0;
    long spare = vn_page_alloc(CAP_SELF, 0, 1);     /* to transfer now and then */
    for (uint64_t seq = 1; !ctl[C_STOP]; seq++) {
        capref_t ep = (capref_t)ctl[C_EP(idx)];
        if (!ep) {
            vn_yield();
            continue;
        }
        vn_ipc_timeout(seq % 3 == 0 ? 50000000ul : 0);
        uint64_t in[4] = {seq, idx, 0, 0};
        struct vn_msg out;
        long r = vn_call(ep, in, seq % 16 == 0 && spare >= 0 ? (capref_t)spare : -1, &out);
        if (r == 0 && out.w[0] == seq + 1 && out.w[1] == 100 + idx && out.w[2] == idx)
            ok++;
        else if (r == 0)
            wrong++;
        else if (r == -E_DEAD || r == -E_BADCAP || r == -E_TIMEOUT)
            fail++;
        else
            wrong++;
    }
    ctl[C_OK(idx)] = ok, ctl[C_WRONG(idx)] = wrong, ctl[C_FAIL(idx)] = fail;
    __atomic_fetch_add(&ctl[C_DONE], 1, __ATOMIC_SEQ_CST);
    vn_env_wake_word((const uint64_t *)&ctl[C_DONE]);
    for (;;)
        vn_env_wait(0, (const uint64_t *)&ctl[C_STOP], 1, VN_WAIT_NE);
    __builtin_unreachable();
}

int main(uint64_t arg0, uint64_t arg1);
int main(uint64_t arg0, uint64_t arg1)
{
    if (arg0 == W_CLIENT)
        return client(arg1);
    if (arg0 == W_SERVER)
        vn_rpc_serve(answer);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    ctl = vn_alloc_pages(1);
    capref_t cl[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cl[i] = vn_spawn_share("ipc_tier_race", QUOTA, W_CLIENT, (uint64_t)i, vn_page_cap((uint64_t)ctl),
                               CR_READ | CR_WRITE | CR_MAP);
        CHECK(cl[i] >= 0);
    }
    capref_t srv = -1;
    long root = -1;
    for (int round = 0; round < ROUNDS; round++) {
        if (srv >= 0) {         /* kill the server while they call it */
            vn_kill(srv);
            vn_cap_delete((capref_t)root);
        }
        srv = vn_spawn_stopped("ipc_tier_race", QUOTA, W_SERVER, 0);
        CHECK(srv >= 0);
        root = vn_ipc_endpoint(srv);
        CHECK(root >= 0);
        for (int i = 0; i < CLIENTS; i++) {
            long b = vn_ipc_badge((capref_t)root, 100 + (uint64_t)i, CR_WRITE | CR_GRANT);
            long g = b < 0 ? b : vn_cap_grant((capref_t)b, cl[i], CR_WRITE);
            CHECK(g >= 0);
            ctl[C_EP(i)] = (uint64_t)g;
        }
        CHECK_EQ(vn_env_start(srv), 0);
        vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
    }
    vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
    ctl[C_STOP] = 1;
    uint64_t done, ok = 0, fail = 0;
    while ((done = ctl[C_DONE]) < CLIENTS)
        CHECK(vn_env_wait(20000000000ul, (const uint64_t *)&ctl[C_DONE], done, VN_WAIT_NE) >= 0);
    for (int i = 0; i < CLIENTS; i++) {
        CHECK_EQ(ctl[C_WRONG(i)], 0);
        CHECK(ctl[C_OK(i)] > 0);
        ok += ctl[C_OK(i)], fail += ctl[C_FAIL(i)];
    }
    printf("ipc_tier_race: %lu calls answered right, %lu failed with a dead server, %d servers killed\n",
           (unsigned long)ok, (unsigned long)fail, ROUNDS - 1);
    for (int i = 0; i < CLIENTS; i++)
        vn_kill(cl[i]);
    vn_kill(srv);
    vn_cap_delete((capref_t)root);
    vn_unmap_free((uint64_t)ctl, 1);
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("ipc_tier_race");
}
