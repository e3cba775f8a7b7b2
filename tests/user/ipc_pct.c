/*
 * Protected control transfer: round trips with and without a capability,
 * calls without the entry capability, granting what one does not hold,
 * callees that fault, exit or never reply (timeout), many concurrent
 * clients on all CPUs, and the instruction cost of a round trip.
 * Then a server killed from another CPU while clients stream calls at it
 * (the kernel's IPC fast path racing the kill).
 * Modes (arg0): 0 the test; 1 a client of the parent's entry (in the
 * spawn-share slot) making arg1 calls; 2 a server that adds, and on op 9
 * faults, on op 10 exits, on op 11 never replies; 3 a client that calls
 * until the server is gone.
 */
#include <ipc.h>
#include "check.h"

enum { OP_ADD = 1, OP_READCAP = 2, OP_FAULT = 9, OP_EXIT = 10, OP_SILENT = 11 };

static volatile int *volatile wild = (volatile int *)16;

static void server(const struct vn_msg *req, uint64_t rep[4])
{
    rep[1] = rep[2] = rep[3] = 0;
    switch (req->w[0]) {
    case OP_ADD:
        rep[0] = 0;
        rep[1] = req->w[1] + req->w[2];
        rep[2] = req->w[3];
        break;
    case OP_READCAP: {          /* map the page capability we were sent, read it */
        uint64_t va = vn_va_reserve(1);
        struct vn_map_entry m = {va, req->cap, VM_PROT_READ, 0};
        rep[0] = vn_page_map(CAP_SELF, &m, 1) == 1 ? 0 : (uint64_t)-1;
        rep[1] = rep[0] == 0 ? *(volatile uint64_t *)va : 0;
        vn_page_unmap(CAP_SELF, va, 1);
        vn_cap_delete(req->cap);
        break;
    }
    case OP_FAULT:
        rep[0] = (uint64_t)*wild;
        break;
    case OP_EXIT:
        vn_exit(0);
    case OP_SILENT:
        for (;;)
            vn_env_wait(0, NULL, 0, VN_WAIT_NONE);
    default:
        rep[0] = (uint64_t)-E_INVAL;
    }
}

static int client(uint64_t calls)
{
    uint64_t res[3];
    for (uint64_t i = 0; i < calls; i++)
        if (vn_rpc(VN_CAP_SPAWN_SHARE, OP_ADD, i, 1000, 7, res) != 0 || res[0] != i + 1000)
            return 1;
    return 0;
}

/* Mode 3: answered right until the calls fail as a dead server's must. */
static int streamer(void)
{
    uint64_t res[3];
    for (uint64_t i = 0;; i++) {
        long r = vn_rpc(VN_CAP_SPAWN_SHARE, OP_ADD, i, 1000, 7, res);
        if (r == -E_DEAD || r == -E_BADCAP)
            return i ? 0 : 4;           /* 4: killed before our first call */
        if (r != 0 || res[0] != i + 1000)
            return 1;
    }
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    if (mode == 1)
        return client(arg);
    if (mode == 3)
        return streamer();
    if (mode == 2) {
        vn_upcalls_init();
        vn_rpc_serve(server);
    }
    CHECK_EQ(vn_upcalls_init(), 0);
    CHECK_EQ(vn_ipc_timeout(2000000000ul), 0);

    /* A server child; we hold a derived capability to its entry. */
    capref_t srv = vn_spawn_stopped("ipc_pct", 256, 2, 0);
    CHECK(srv > 0);
    long ep = vn_ipc_endpoint(srv);
    CHECK(ep > 0);
    CHECK_EQ(vn_env_start(srv), 0);
    uint64_t res[3];
    CHECK_EQ(vn_rpc((capref_t)ep, OP_ADD, 40, 2, 99, res), 0);
    CHECK(res[0] == 42 && res[1] == 99);

    /* With a capability: the server maps our page and reads it. */
    volatile uint64_t *pg = vn_alloc_pages(1);
    *pg = 0xfeedface;
    uint64_t in[4] = {OP_READCAP, 0, 0, 0};
    struct vn_msg out;
    CHECK_EQ(vn_call((capref_t)ep, in, vn_page_cap((uint64_t)pg), &out), 0);
    CHECK(out.w[0] == 0 && out.w[1] == 0xfeedface);

    /* Hostile calls. */
    long weak = vn_cap_derive((capref_t)ep, CR_READ);       /* no CR_WRITE: cannot call */
    CHECK_EQ(vn_call((capref_t)weak, in, -1, &out), -E_PERM);
    CHECK_EQ(vn_call(CAPREF_MAKE(3000, 0), in, -1, &out), -E_BADCAP);
    CHECK_EQ(vn_call(CAP_SELF, in, -1, &out), -E_TYPE);
    CHECK_EQ(vn_call((capref_t)ep, in, CAPREF_MAKE(3000, 0), &out), -E_BADCAP);    /* not held */
    long nogrant = vn_cap_derive(vn_page_cap((uint64_t)pg), CR_READ | CR_MAP);
    CHECK_EQ(vn_call((capref_t)ep, in, (capref_t)nogrant, &out), -E_PERM);       /* no CR_GRANT */
    long self_ep = vn_ipc_endpoint(CAP_SELF);
    CHECK_EQ(vn_call((capref_t)self_ep, in, -1, &out), -E_DEADLK);
    long weak_env = vn_cap_derive(srv, CR_READ | CR_WRITE);
    CHECK_EQ(vn_ipc_endpoint((capref_t)weak_env), -E_PERM);  /* no control over it */
    CHECK_EQ(vn_ipc_reply(1, 2, 3, 4), -E_NOENT);            /* nobody to reply to */

    /* Round-trip cost (ticks: instructions under -icount). */
    uint64_t t0 = rdtsc();
    for (int i = 0; i < 1000; i++)
        vn_rpc((capref_t)ep, OP_ADD, 1, 2, 3, res);
    uint64_t per_call = (rdtsc() - t0) / 1000;
    t0 = rdtsc();
    for (int i = 0; i < 1000; i++)
        vn_null();
    printf("ipc_pct: PCT round trip %lu ticks, null syscall %lu ticks\n", per_call, (rdtsc() - t0) / 1000);

    /* A callee that never replies: the caller times out. */
    CHECK_EQ(vn_ipc_timeout(50000000), 0);
    CHECK_EQ(vn_rpc((capref_t)ep, OP_SILENT, 0, 0, 0, res), -E_TIMEOUT);
    CHECK_EQ(vn_rpc((capref_t)ep, OP_ADD, 1, 1, 0, res), -E_TIMEOUT);   /* still silent: queued, times out */
    vn_kill(srv);
    /* Its entry capability died with it (ours was derived from its root). */
    CHECK_EQ(vn_rpc((capref_t)ep, OP_ADD, 1, 1, 0, res), -E_BADCAP);
    CHECK_EQ(vn_ipc_timeout(2000000000ul), 0);

    /* A callee that faults, or exits, mid-call: the caller gets E_DEAD. */
    for (int op = OP_FAULT; op <= OP_EXIT; op++) {
        srv = vn_spawn_stopped("ipc_pct", 256, 2, 0);
        ep = vn_ipc_endpoint(srv);
        CHECK_EQ(vn_env_start(srv), 0);
        CHECK_EQ(vn_rpc((capref_t)ep, OP_ADD, 1, 1, 0, res), 0);
        CHECK_EQ(vn_rpc((capref_t)ep, (uint64_t)op, 0, 0, 0, res), -E_DEAD);
        vn_wait(srv);
    }

    /* A server killed while four clients stream calls at it (a client
     * may still be starting when the kill comes; most are not). */
    int streamed = 0;
    for (int round = 0; round < 5; round++) {
        srv = vn_spawn_stopped("ipc_pct", 256, 2, 0);
        ep = vn_ipc_endpoint(srv);
        long kid_ep = vn_cap_derive((capref_t)ep, CR_READ | CR_WRITE | CR_GRANT);
        CHECK(srv > 0 && ep > 0 && kid_ep > 0);
        CHECK_EQ(vn_env_start(srv), 0);
        capref_t st[4];
        for (int i = 0; i < 4; i++)
            CHECK((st[i] = vn_spawn_share("ipc_pct", 256, 3, 0, (capref_t)kid_ep, CR_READ | CR_WRITE)) > 0);
        vn_env_wait(20000000ul * (uint64_t)(round + 1), NULL, 0, VN_WAIT_NONE);
        vn_kill(srv);
        for (int i = 0; i < 4; i++) {
            int w = vn_wait(st[i]);
            CHECK(w == 0 || w == 4);
            streamed += w == 0;
        }
        vn_wait(srv);
    }
    printf("ipc_pct: %d of 20 clients streaming calls when their server was killed\n", streamed);
    CHECK(streamed >= 10);

    /* Many concurrent clients of our own entry, on every CPU. */
    long mine = vn_ipc_endpoint(CAP_SELF);
    long client_cap = vn_cap_derive((capref_t)mine, CR_READ | CR_WRITE | CR_GRANT);
    int nclients = 2 * (int)vn_sysinfo->ncpus + 2;
    capref_t kids[16];
    for (int i = 0; i < nclients && i < 16; i++)
        kids[i] = vn_spawn_share("ipc_pct", 256, 1, 500, (capref_t)client_cap, CR_READ | CR_WRITE);
    uint64_t served = 0;
    struct vn_msg req;
    uint64_t rep[4];
    long r = vn_recv(3000000000ul, &req);
    while (r == 0 && served < (uint64_t)nclients * 500) {
        served++;
        rep[0] = 0;
        rep[1] = req.w[1] + req.w[2];
        rep[2] = rep[3] = 0;
        r = served < (uint64_t)nclients * 500 ? vn_reply_recv(rep, &req) : vn_ipc_reply(rep[0], rep[1], 0, 0);
    }
    int ok = 0;
    for (int i = 0; i < nclients && i < 16; i++)
        ok += vn_wait(kids[i]) == 0;
    printf("ipc_pct: served %lu calls from %d clients on %lu CPUs, %d clients saw every reply right\n", served,
           nclients, vn_sysinfo->ncpus, ok);
    CHECK(served == (uint64_t)nclients * 500 && ok == nclients);
    return check_done("ipc_pct");
}
