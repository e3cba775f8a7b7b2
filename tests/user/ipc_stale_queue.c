/*
 * Hostile regression (issue 12, hole 1): a caller destroyed while it is
 * queued on a busy callee's entry must leave the queue with it.
 *
 * We are the callee.  Caller A is served and not answered yet; caller B
 * queues behind it; B's parent (we) destroys B, and then creates and
 * deletes environments until one of them lands in B's old slot.  After we
 * answer A, our next ipc_recv must find nobody waiting.  A kernel that left
 * B on the queue hands us a "call" from the newcomer, which never called,
 * together with an environment capability derived from the newcomer's
 * CAP_SELF (READ|WRITE|MAP|GRANT over a stranger).  Checked: no such call
 * arrives, no capability comes with a call that sent none, and no
 * environment capability we were not given appears in our table.  Done
 * twice: B destroyed by deleting its root, and by env_destroy (tombstone
 * kept).  Then ordinary calls, with and without a capability, still work.
 *
 * Modes (arg0): 0 the test; 1 a client: arg1 = its index i; shared[i] is
 * its capref of our entry; it says shared[8 + i] = 1 before it calls,
 * stores the call's result in shared[16 + i] and the reply word in
 * shared[24 + i]; index CLIENT_XFER sends its shared-page capability.
 */
#include <ipc.h>
#include "check.h"

#define TAG(i)    (0xca11ed00ul + (i))
#define REPLY(i)  (0x5e7ed00ul + (i))
#define CLIENT_XFER 3
#define SCAN_SLOTS 256
#define SCAN_GENS  256
#define MAX_ENV_CAPS 64

static volatile uint64_t *shared;

static int client(uint64_t i)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 2;
    shared = (volatile uint64_t *)m.va;
    uint64_t in[4] = {TAG(i), i, 0xb0b, 0};
    struct vn_msg out;
    shared[8 + i] = 1;
    long r = vn_call((capref_t)shared[i], in, i == CLIENT_XFER ? VN_CAP_SPAWN_SHARE : -1, &out);
    shared[16 + i] = (uint64_t)r;
    shared[24 + i] = out.w[0];
    return r == 0 && out.w[0] == REPLY(i) ? 0 : 1;
}

/* Start client i of our entry ep; returns its root capability. */
static capref_t start_client(uint64_t i, capref_t ep)
{
    shared[8 + i] = shared[16 + i] = shared[24 + i] = 0;
    capref_t c = vn_spawn_share_stopped("ipc_stale_queue", 128, 1, i, vn_page_cap((uint64_t)shared),
                                        CR_READ | CR_WRITE | CR_MAP | CR_GRANT, 0);
    CHECK(c > 0);
    if (c <= 0)
        return c;
    long g = vn_cap_grant(ep, c, CR_WRITE);
    CHECK(g > 0);
    shared[i] = (uint64_t)g;
    CHECK_EQ(vn_env_start(c), 0);
    return c;
}

/* Every environment capability in our table (slots and generations
 * scanned with cap_info); returns how many, caprefs in out[]. */
static int env_caps(capref_t *out, int max)
{
    int n = 0;
    for (uint32_t s = 0; s < SCAN_SLOTS; s++) {
        for (uint32_t g = 0; g < SCAN_GENS; g++) {
            struct vn_capinfo ci;
            capref_t c = CAPREF_MAKE(s, g);
            if (vn_cap_info(c, &ci) < 0)
                continue;
            if (ci.type == CAP_ENV && n < max)
                out[n++] = c;
            break;      /* one live generation per slot */
        }
    }
    return n;
}

static bool in_list(capref_t c, const capref_t *l, int n)
{
    for (int i = 0; i < n; i++)
        if (l[i] == c)
            return true;
    return false;
}

static int32_t env_id(capref_t c)
{
    struct vn_capinfo ci;
    return vn_cap_info(c, &ci) == 0 ? (int32_t)ci.object : 0;
}

/* One round: B destroyed while queued (by_delete: its root deleted, else
 * env_destroy), its slot reused, then our next ipc_recv. */
static void round_stale(capref_t ep, bool by_delete, const capref_t *base, int nbase)
{
    struct vn_msg req;
    capref_t a = start_client(0, ep);
    CHECK_EQ(vn_recv(5000000000ul, &req), 0);           /* A's call: keep it unanswered */
    CHECK(req.w[0] == TAG(0) && req.cap == -1);

    capref_t b = start_client(1, ep);
    CHECK_EQ(vn_env_wait(5000000000ul, (const uint64_t *)&shared[9], 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
    vn_env_wait(200000000, NULL, 0, VN_WAIT_NONE);      /* B is in ipc_call now: queued behind A */
    int32_t bid = env_id(b);
    CHECK(bid > 0);
    if (by_delete) {
        CHECK_EQ(vn_cap_delete(b), 0);
    } else {
        CHECK_EQ(vn_env_destroy(b), 0);
        struct vn_capinfo ci;
        while (vn_cap_info(b, &ci) == 0 && ci.env_status == 1)
            vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);
        CHECK_EQ(ci.env_status, -1);
    }

    /* Environments come and go until one takes B's slot. */
    capref_t newcomer = -1;
    int tries = 0;
    while (tries++ < 2 * 1024) {
        long c = vn_env_create(8, "newcomer");
        if (c < 0)
            break;
        int32_t id = env_id((capref_t)c);
        if ((id & 1023) == (bid & 1023)) {
            newcomer = (capref_t)c;
            break;
        }
        vn_cap_delete((capref_t)c);
    }
    int32_t nid = newcomer >= 0 ? env_id(newcomer) : 0;
    printf("ipc_stale_queue: B was env %x; %s after %d environments (env %x)\n", bid,
           newcomer >= 0 ? "its slot reused" : "its slot NOT reused", tries, nid);

    /* Answer A; then nobody may be waiting for us. */
    CHECK_EQ(vn_ipc_reply(REPLY(0), 0, 0, 0), 0);
    long r = vn_recv(100000000, &req);
    if (r != -E_TIMEOUT) {
        struct vn_capinfo ci = {0};
        long ir = req.cap >= 0 ? vn_cap_info(req.cap, &ci) : -1;
        printf("ipc_stale_queue: FAIL ipc_recv returned %ld: a call (w0 %lx) nobody made, capref %d", r,
               req.w[0], req.cap);
        if (ir == 0)
            printf(" = type %u rights %x object %lx (the newcomer is %x)", ci.type, ci.rights, ci.object, nid);
        printf("\n");
        check_failures++;
        if (r == 0)
            vn_ipc_reply(0, 0, 0, 0);
    }
    if (r == 0 && req.cap >= 0)
        CHECK_EQ(req.cap, -1);                          /* nobody sent a capability */

    /* No environment capability we were not given. */
    capref_t now[MAX_ENV_CAPS];
    int n = env_caps(now, MAX_ENV_CAPS);
    for (int i = 0; i < n; i++) {
        if (in_list(now[i], base, nbase) || now[i] == a || now[i] == newcomer || (!by_delete && now[i] == b))
            continue;
        struct vn_capinfo ci;
        vn_cap_info(now[i], &ci);
        printf("ipc_stale_queue: FAIL we hold env capability %x (rights %x) to env %lx, never given to us\n",
               now[i], ci.rights, ci.object);
        check_failures++;
        vn_cap_delete(now[i]);
    }

    CHECK_EQ(vn_wait(a), 0);
    CHECK_EQ(shared[16], 0);
    if (newcomer >= 0)
        CHECK_EQ(vn_cap_delete(newcomer), 0);
    if (!by_delete)
        CHECK_EQ(vn_cap_delete(b), 0);
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    if (mode == 1)
        return client(arg);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    shared = vn_alloc_pages(1);
    long ep = vn_ipc_endpoint(CAP_SELF);
    CHECK(ep > 0);
    capref_t base[MAX_ENV_CAPS];
    int nbase = env_caps(base, MAX_ENV_CAPS);
    CHECK(nbase >= 1 && base[0] == CAP_SELF);

    round_stale((capref_t)ep, true, base, nbase);
    round_stale((capref_t)ep, false, base, nbase);

    /* Ordinary calls still work: words and no capability, then one with a
     * capability (our shared page, in the client's slot 1). */
    struct vn_msg req;
    capref_t c = start_client(2, (capref_t)ep);
    CHECK_EQ(vn_recv(5000000000ul, &req), 0);
    CHECK(req.w[0] == TAG(2) && req.w[1] == 2 && req.w[2] == 0xb0b);
    CHECK_EQ(req.cap, -1);
    CHECK_EQ(vn_ipc_reply(REPLY(2), 0, 0, 0), 0);
    CHECK_EQ(vn_wait(c), 0);
    c = start_client(CLIENT_XFER, (capref_t)ep);
    CHECK_EQ(vn_recv(5000000000ul, &req), 0);
    CHECK(req.w[0] == TAG(CLIENT_XFER));
    struct vn_capinfo ci;
    CHECK(req.cap >= 0 && vn_cap_info(req.cap, &ci) == 0 && ci.type == CAP_PAGE &&
          ci.object == (vn_pte((uint64_t)shared) & 0x000ffffffffff000ul));
    if (req.cap >= 0)
        vn_cap_delete(req.cap);
    CHECK_EQ(vn_ipc_reply(REPLY(CLIENT_XFER), 0, 0, 0), 0);
    CHECK_EQ(vn_wait(c), 0);
    CHECK_EQ(vn_recv(10000000, &req), -E_TIMEOUT);

    CHECK_EQ(vn_cap_delete((capref_t)ep), 0);
    vn_mem_release_all();
    long lost = pages_unaccounted(free0, held0);
    if (labs(lost) > SLAB_SLACK)
        printf("ipc_stale_queue: FAIL %ld pages unaccounted\n", lost);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("ipc_stale_queue");
}
