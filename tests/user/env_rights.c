/*
 * One right, one power: a partner given CR_RUN and CR_WAKE on us can give
 * us its CPU and end our sleep, and nothing more (no upcalls, no grants
 * into our table, no endpoint, no control); CR_WRITE alone neither runs
 * nor wakes us; CAP_SELF holds every right but CR_CONTROL.  Badged
 * endpoints: a server tells two clients apart by the badge of the
 * endpoint each was given, which they cannot change or remove; a server
 * may call another server while it serves and still reply to its caller.
 * Modes (arg0): 0 the test; 1 a partner holding (in the spawn-share slot)
 * a capability to the parent: it tries every power; 2 a server that
 * answers w[0] + badge, and for op 7 first calls the endpoint it was
 * sent (nested call); 3 a client of the endpoint in its share slot that
 * reports the reply; 4 an echo server.
 */
#include <ipc.h>
#include "check.h"

#define OP_NESTED 7

static void noop_handler(void)
{
}

/* Mode 1: we hold the parent with CR_RUN | CR_WAKE only. */
static int partner(void)
{
    capref_t p = VN_CAP_SPAWN_SHARE;
    static uint8_t stack[4096] __attribute__((aligned(16)));
    int bad = 0;
    struct vn_capinfo ci;
    if (vn_cap_info(p, &ci) < 0 || ci.rights != (CR_RUN | CR_WAKE))
        bad |= 1;
    if (vn_env_set_upcall(p, UPCALL_EXCEPTION, (uint64_t)noop_handler, (uint64_t)stack, sizeof(stack)) != -E_PERM)
        bad |= 2;       /* taking over its control flow */
    if (vn_cap_grant(CAP_SELF, p, CR_READ) != -E_PERM)
        bad |= 4;       /* writing its table */
    if (vn_ipc_endpoint(p) != -E_PERM)
        bad |= 8;
    if (vn_env_set_share(p, 2) != -E_PERM || vn_env_destroy(p) != -E_PERM)
        bad |= 16;
    if (vn_page_alloc(p, 0, 1) != -E_PERM)
        bad |= 32;      /* charging it */
    if (vn_cap_derive(p, CR_RUN | CR_UPCALL) != -E_PERM)
        bad |= 64;      /* rights never grow */
    /* What it may do: wake the parent from its env_wait (retry until it
     * sleeps), and yield to it (E_AGAIN while it is not runnable). */
    long w = 0;
    for (uint64_t until = vn_clock_ns() + 10000000000ul; w == 0 && vn_clock_ns() < until;) {
        w = vn_env_wake(p);     /* 0 until it sleeps (spare CPUs make yield return at once) */
        if (w == 0)
            vn_yield();
    }
    if (w != 1)
        bad |= 128;
    long y = vn_yield_to(p);
    if (y != 0 && y != -E_AGAIN)
        bad |= 256;
    return bad;
}

/* Mode 2: reply w[1] + badge; op 7 first calls the endpoint sent with the call. */
static void badge_server(const struct vn_msg *req, uint64_t rep[4])
{
    rep[0] = 0;
    rep[1] = req->w[1] + req->badge;
    rep[2] = req->badge;
    rep[3] = 0;
    if (req->w[0] == OP_NESTED && req->cap >= 0) {
        uint64_t in[4] = {0, 5, 0, 0};
        struct vn_msg out;
        long r = vn_call(req->cap, in, -1, &out);
        rep[3] = r == 0 ? out.w[1] : (uint64_t)r;
        vn_cap_delete(req->cap);
    }
}

static void echo_server(const struct vn_msg *req, uint64_t rep[4])
{
    rep[0] = 0;
    rep[1] = req->w[1] * 2;
    rep[2] = req->badge;
    rep[3] = 0;
}

/* Mode 3: one call through the endpoint we were given; exit with the
 * badge the server saw (low byte), so the parent can check it. */
static int badge_client(void)
{
    uint64_t in[4] = {1, 100, 0, 0};
    struct vn_msg out;
    if (vn_call(VN_CAP_SPAWN_SHARE, in, -1, &out) != 0 || out.w[1] != 100 + out.w[2])
        return 255;
    /* A client cannot re-badge or strip the badge it was given. */
    if (vn_ipc_badge(VN_CAP_SPAWN_SHARE, 99, CR_WRITE) != -E_PERM)
        return 254;
    return (int)out.w[2];
}

static void test_rights(void)
{
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info(CAP_SELF, &ci), 0);
    CHECK_EQ(ci.rights, CR_SELF);
    CHECK(!(CR_SELF & CR_CONTROL));

    /* A partner that may run and wake us only. */
    long rw = vn_cap_derive(CAP_SELF, CR_RUN | CR_WAKE | CR_GRANT);
    CHECK(rw > 0);
    capref_t kid = vn_spawn_share("env_rights", 64, 1, 0, (capref_t)rw, CR_RUN | CR_WAKE);
    CHECK(kid > 0);
    CHECK_EQ(vn_env_wait(20000000000ul, NULL, 0, VN_WAIT_NONE), VN_WAKE_NOTIFY);   /* its wake */
    CHECK_EQ(vn_wait(kid), 0);

    /* CR_WRITE alone (the table) neither runs nor wakes; CR_UPCALL is needed for upcalls. */
    capref_t sleeper = vn_spawn("child", 128, 10, 0);
    CHECK(sleeper > 0);
    long wo = vn_cap_derive(sleeper, CR_WRITE);
    CHECK_EQ(vn_env_wake((capref_t)wo), -E_PERM);
    CHECK_EQ(vn_yield_to((capref_t)wo), -E_PERM);
    static uint8_t stack[4096] __attribute__((aligned(16)));
    CHECK_EQ(vn_env_set_upcall((capref_t)wo, UPCALL_EXCEPTION, (uint64_t)noop_handler, (uint64_t)stack,
                               sizeof(stack)), -E_PERM);
    long wk = vn_cap_derive(sleeper, CR_WAKE);
    CHECK_EQ(vn_cap_grant(CAP_SELF, (capref_t)wk, CR_READ), -E_PERM);
    for (uint64_t until = vn_clock_ns() + 10000000000ul; vn_env_wake((capref_t)wk) != 1 && vn_clock_ns() < until;)
        vn_yield();
    CHECK_EQ(vn_wait(sleeper), VN_WAKE_NOTIFY);
}

static void test_badges(void)
{
    CHECK_EQ(vn_ipc_timeout(5000000000ul), 0);
    capref_t srv = vn_spawn_stopped("env_rights", 256, 2, 0);
    CHECK(srv > 0);
    long ep = vn_ipc_endpoint(srv);
    CHECK(ep > 0);
    CHECK_EQ(vn_env_start(srv), 0);

    /* Minting: non-zero badge, rights a subset, only from an unbadged endpoint with CR_GRANT. */
    long a = vn_ipc_badge((capref_t)ep, 0xa, CR_WRITE | CR_GRANT);
    long b = vn_ipc_badge((capref_t)ep, 0xb, CR_WRITE | CR_GRANT);
    long nogrant = vn_cap_derive((capref_t)ep, CR_WRITE);
    CHECK(a > 0 && b > 0);
    CHECK_EQ(vn_ipc_badge((capref_t)ep, 0, CR_WRITE), -E_INVAL);
    CHECK_EQ(vn_ipc_badge((capref_t)nogrant, 0xc, CR_WRITE), -E_PERM); /* no CR_GRANT */
    CHECK_EQ(vn_ipc_badge((capref_t)a, 0xc, CR_WRITE), -E_PERM);      /* already badged */
    CHECK_EQ(vn_ipc_badge((capref_t)a, 0xc, CR_ALL), -E_INVAL);       /* more rights than it has */
    CHECK_EQ(vn_ipc_badge(CAP_SELF, 0xc, CR_WRITE), -E_TYPE);
    CHECK_EQ(vn_ipc_badge(CAPREF_MAKE(3000, 0), 0xc, CR_WRITE), -E_BADCAP);
    long a2 = vn_cap_derive((capref_t)a, CR_WRITE);     /* a copy keeps the badge */
    CHECK(a2 > 0);

    uint64_t in[4] = {1, 10, 0, 0};
    struct vn_msg out;
    CHECK_EQ(vn_call((capref_t)ep, in, -1, &out), 0);
    CHECK(out.w[2] == 0 && out.w[1] == 10);
    CHECK_EQ(vn_call((capref_t)a, in, -1, &out), 0);
    CHECK(out.w[2] == 0xa);
    CHECK_EQ(vn_call((capref_t)a2, in, -1, &out), 0);
    CHECK(out.w[2] == 0xa);
    CHECK_EQ(vn_call((capref_t)b, in, -1, &out), 0);
    CHECK(out.w[2] == 0xb);

    /* Two clients, each given its own badged endpoint: the server tells them apart. */
    capref_t c1 = vn_spawn_share("env_rights", 128, 3, 0, (capref_t)a, CR_WRITE);
    capref_t c2 = vn_spawn_share("env_rights", 128, 3, 0, (capref_t)b, CR_WRITE);
    CHECK(c1 > 0 && c2 > 0);
    CHECK_EQ(vn_wait(c1), 0xa);
    CHECK_EQ(vn_wait(c2), 0xb);

    /* Nested: the server, while serving us, calls an echo server through
     * the (badged) endpoint we send it, then answers us. */
    capref_t echo = vn_spawn_stopped("env_rights", 128, 4, 0);
    long eep = vn_ipc_endpoint(echo);
    CHECK(eep > 0);
    CHECK_EQ(vn_env_start(echo), 0);
    long ebadge = vn_ipc_badge((capref_t)eep, 0x77, CR_WRITE | CR_GRANT);
    CHECK(ebadge > 0);
    uint64_t nin[4] = {OP_NESTED, 1, 0, 0};
    CHECK_EQ(vn_call((capref_t)b, nin, (capref_t)ebadge, &out), 0);
    CHECK(out.w[1] == 1 + 0xb && out.w[2] == 0xb && out.w[3] == 10);

    /* Revoking the minted endpoint cuts that client off. */
    CHECK_EQ(vn_cap_revoke((capref_t)a), 0);
    CHECK_EQ(vn_cap_delete((capref_t)a), 0);
    CHECK_EQ(vn_call((capref_t)a2, in, -1, &out), -E_BADCAP);
    vn_kill(echo);
    vn_kill(srv);
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    (void)arg;
    if (mode == 1)
        return partner();
    if (mode == 2) {
        vn_upcalls_init();
        vn_rpc_serve(badge_server);
    }
    if (mode == 3)
        return badge_client();
    if (mode == 4) {
        vn_upcalls_init();
        vn_rpc_serve(echo_server);
    }
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    test_rights();
    test_badges();
    long lost = pages_unaccounted(free0, held0);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("env_rights");
}
