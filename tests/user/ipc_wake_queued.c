/*
 * Hostile regression (issue 12, hole 3): env_wake only ends an env_wait
 * sleep.  On an environment waiting in IPC it must return 0 and change
 * nothing; the IPC then completes as if no wake had happened.
 *
 * The kernel at ae6c817 woke a caller queued behind a busy callee but
 * left it on the queue.  When it called again it was linked behind
 * itself, and the next caller spun forever in ipc_call with the kernel
 * lock held: the whole machine hangs (this test then times out).
 *
 * Phases, we being the callee in 1 and 3:
 *  1. a caller awaiting our reply: env_wake returns 0, it keeps waiting,
 *     and gets our reply;
 *  2. a server child sleeping in ipc_recv: env_wake returns 0, its recv
 *     does not return, and our call to it is served;
 *  3. a caller queued behind the one we serve: env_wake returns 0; that
 *     caller (which would call again after a spurious return, as a libOS
 *     would) and a further caller are then served in order, each with
 *     its own reply.
 *
 * Modes (arg0): 0 the test; 1 a client, arg1 = index i | RETRY: shared[i]
 * is its capref of our entry, shared[8 + i] = 1 just before it calls, the
 * first call's result in shared[16 + i], the reply word in shared[24 + i],
 * the number of calls made in shared[32 + i]; 2 a server (echo; OP_EXIT
 * ends it) counting spurious ipc_recv returns in shared[40].
 */
#include <ipc.h>
#include "check.h"

#define TAG(i)   (0xca11ed00ul + (i))
#define REPLY(i) (0x5e7ed00ul + (i))
#define RETRY    0x100ul
#define OP_ECHO  1
#define OP_EXIT  2

static volatile uint64_t *shared;

static void map_shared(void)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        vn_exit(2);
    shared = (volatile uint64_t *)m.va;
}

static int client(uint64_t arg)
{
    uint64_t i = arg & 0xff;
    map_shared();
    uint64_t in[4] = {TAG(i), i, 0, 0};
    struct vn_msg out;
    shared[8 + i] = 1;
    long r = vn_call((capref_t)shared[i], in, -1, &out);
    shared[16 + i] = (uint64_t)r;
    shared[24 + i] = out.w[0];
    shared[32 + i] = 1;
    long first = r;
    if (r != 0 && (arg & RETRY)) {      /* a spurious return: call again */
        r = vn_call((capref_t)shared[i], in, -1, &out);
        shared[32 + i] = 2;
    }
    return first == 0 && out.w[0] == REPLY(i) ? 0 : 1;
}

static int server(void)
{
    map_shared();
    shared[41] = 1;
    struct vn_msg req;
    for (;;) {
        long r = vn_recv(0, &req);
        if (r != 0) {
            shared[40]++;
            shared[42] = (uint64_t)r;
            continue;
        }
        if (req.w[0] == OP_EXIT) {
            vn_ipc_reply(0, 0, 0, 0);
            return 0;
        }
        vn_ipc_reply(REPLY(req.w[1]), 0, 0, 0);
    }
}

static capref_t start_client(uint64_t arg, capref_t ep)
{
    uint64_t i = arg & 0xff;
    shared[8 + i] = shared[16 + i] = shared[24 + i] = shared[32 + i] = 0;
    capref_t c = vn_spawn_share_stopped("ipc_wake_queued", 128, 1, arg, vn_page_cap((uint64_t)shared),
                                        CR_READ | CR_WRITE | CR_MAP, 0);
    CHECK(c > 0);
    if (c <= 0)
        return c;
    long g = vn_cap_grant(ep, c, CR_WRITE);
    CHECK(g > 0);
    shared[i] = (uint64_t)g;
    CHECK_EQ(vn_env_start(c), 0);
    /* Until it is in ipc_call (it says so just before; give it time). */
    CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)&shared[8 + i], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
    vn_env_wait(150000000, NULL, 0, VN_WAIT_NONE);
    return c;
}

static void sleep_ms(uint64_t ms)
{
    vn_env_wait(ms * 1000000, NULL, 0, VN_WAIT_NONE);
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    if (mode == 1)
        return client(arg);
    if (mode == 2)
        return server();
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    shared = vn_alloc_pages(1);
    long ep = vn_ipc_endpoint(CAP_SELF);
    CHECK(ep > 0);
    struct vn_msg req;

    /* 1. A caller awaiting our reply. */
    capref_t a = start_client(0, (capref_t)ep);
    CHECK_EQ(vn_recv(5000000000ul, &req), 0);
    CHECK(req.w[0] == TAG(0));
    long w = vn_env_wake(a);
    printf("ipc_wake_queued: env_wake on a caller awaiting its reply returned %ld\n", w);
    CHECK_EQ(w, 0);
    sleep_ms(50);
    CHECK_EQ(shared[32], 0);                    /* still waiting */
    CHECK_EQ(vn_ipc_reply(REPLY(0), 0, 0, 0), 0);
    CHECK_EQ(vn_wait(a), 0);
    CHECK(shared[16] == 0 && shared[24] == REPLY(0));

    /* 2. A server sleeping in ipc_recv. */
    capref_t srv = vn_spawn_share_stopped("ipc_wake_queued", 128, 2, 0, vn_page_cap((uint64_t)shared),
                                          CR_READ | CR_WRITE | CR_MAP, 0);
    CHECK(srv > 0);
    long sep = vn_ipc_endpoint(srv);
    CHECK(sep > 0);
    CHECK_EQ(vn_env_start(srv), 0);
    CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)&shared[41], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
    sleep_ms(100);
    w = vn_env_wake(srv);
    printf("ipc_wake_queued: env_wake on a server in ipc_recv returned %ld\n", w);
    CHECK_EQ(w, 0);
    sleep_ms(50);
    CHECK_EQ(vn_ipc_timeout(5000000000ul), 0);
    uint64_t in[4] = {OP_ECHO, 7, 0, 0};
    struct vn_msg out;
    CHECK_EQ(vn_call((capref_t)sep, in, -1, &out), 0);
    CHECK_EQ(out.w[0], REPLY(7));
    in[0] = OP_EXIT;
    CHECK_EQ(vn_call((capref_t)sep, in, -1, &out), 0);
    CHECK_EQ(vn_wait(srv), 0);
    if (shared[40])
        printf("ipc_wake_queued: FAIL the server's ipc_recv returned %ld without a call\n", (long)shared[42]);
    CHECK_EQ(shared[40], 0);

    /* 3. A caller queued behind the one we serve. */
    capref_t a2 = start_client(1, (capref_t)ep);
    CHECK_EQ(vn_recv(5000000000ul, &req), 0);
    CHECK(req.w[0] == TAG(1));
    capref_t q = start_client(2 | RETRY, (capref_t)ep);     /* queues behind a2 */
    w = vn_env_wake(q);
    printf("ipc_wake_queued: env_wake on a queued caller returned %ld\n", w);
    CHECK_EQ(w, 0);
    sleep_ms(100);                              /* a woken caller would call again by now */
    capref_t c = start_client(3, (capref_t)ep); /* the next caller: hung here at ae6c817 */
    printf("ipc_wake_queued: a further caller is queued; the kernel is alive\n");
    CHECK_EQ(vn_ipc_reply(REPLY(1), 0, 0, 0), 0);
    CHECK_EQ(vn_recv(2000000000ul, &req), 0);
    CHECK_EQ(req.w[0], TAG(2));                 /* the woken-at caller, first in line */
    CHECK_EQ(vn_ipc_reply(REPLY(2), 0, 0, 0), 0);
    CHECK_EQ(vn_recv(2000000000ul, &req), 0);
    CHECK_EQ(req.w[0], TAG(3));
    CHECK_EQ(vn_ipc_reply(REPLY(3), 0, 0, 0), 0);
    CHECK_EQ(vn_recv(10000000, &req), -E_TIMEOUT);
    CHECK_EQ(vn_wait(a2), 0);
    CHECK_EQ(vn_wait(q), 0);
    CHECK_EQ(vn_wait(c), 0);
    CHECK(shared[17] == 0 && shared[25] == REPLY(1));
    CHECK(shared[18] == 0 && shared[26] == REPLY(2) && shared[34] == 1);   /* one call, its own reply */
    CHECK(shared[19] == 0 && shared[27] == REPLY(3));

    CHECK_EQ(vn_cap_delete((capref_t)ep), 0);
    vn_mem_release_all();
    long lost = pages_unaccounted(free0, held0);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("ipc_wake_queued");
}
