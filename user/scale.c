/*
 * The scaling rows of `make bench` (issue 19): W independent environments
 * (no shared state but the start and finish words) each doing a fixed
 * number of operations at once, timed by wall clock from the first start
 * to the last finish.  bench/run.sh boots this program (init=scale) with
 * -smp 1 and -smp 2 in the same run; bench/scale.awk divides the
 * throughputs.  Rows:
 *   null   SCALE_ENVS environments, each SCALE_ITERS null syscalls
 *   fault  each touches a fresh page SCALE_FAULTS times: its handler maps
 *          one (vn_map_fresh), then it unmaps and frees it
 *   ipc    SCALE_ENVS client/server pairs, each client SCALE_IPCS calls
 *          to its own server (ipc_call runs the server on the caller's
 *          slice, so a pair stays on one CPU)
 * Line: "SCALE os=veneer row=R cpus=C envs=W ops=N ns=T".  arg0=1 makes
 * the quick counts of bench-smoke.  The program is its own worker: arg0 =
 * one of the W_* modes, arg1 = index | iterations << 8.
 */
#include <libveneer.h>
#include <vn.h>
#include <ipc.h>

enum { W_NULL = 0x5c0, W_FAULT, W_CLIENT, W_SERVER };

#define SCALE_ENVS   2
#define SCALE_ITERS  400000ul
#define SCALE_FAULTS 20000ul
#define SCALE_IPCS   50000ul
#define QUOTA        256

/* The page shared with every worker: [0] start, [1] finished workers,
 * [8 + i] client i's endpoint slot (in its own table). */
static volatile uint64_t *shared;

static bool on_fault(struct vn_xframe *x)
{
    if (x->err & PF_PRESENT)
        return false;
    return vn_map_fresh(x->addr & ~(PAGE_SIZE - 1), 1, VM_PROT_WRITE) == 0;
}

/* A worker: wait for the start word, run, count itself finished. */
static int worker(uint64_t mode, uint64_t arg1)
{
    uint64_t idx = arg1 & 0xff, n = arg1 >> 8;
    if (mode == W_SERVER) {     /* as bench.c's CHILD_SERVER */
        struct vn_msg req;
        uint64_t rep[4] = {0};
        long r = vn_recv(0, &req);
        for (;;) {
            while (r < 0)
                r = vn_recv(0, &req);
            rep[0] = req.w[0] + 1;
            r = vn_reply_recv(rep, &req);
        }
    }
    uint64_t va = vn_va_reserve(1), fva = 0;
    struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 1;
    volatile uint64_t *w = (volatile uint64_t *)va;
    if (mode == W_FAULT) {
        if (vn_upcalls_init() < 0 || vn_pgfault_register(on_fault) < 0)
            return 1;
        fva = vn_va_reserve(1);
    }
    while (!w[0])
        vn_env_wait(1000000000ul, (const uint64_t *)&w[0], 0, VN_WAIT_NE);
    long bad = 0;
    capref_t ep = (capref_t)w[8 + idx];
    for (uint64_t i = 0; i < n; i++) {
        if (mode == W_NULL) {
            vn_null();
        } else if (mode == W_FAULT) {
            *(volatile uint64_t *)fva = i;      /* faults: the handler maps a page */
            if (vn_unmap_free(fva, 1) < 0)
                bad++;
        } else {
            uint64_t in[4] = {i, 0, 0, 0};
            struct vn_msg out;
            if (vn_call(ep, in, -1, &out) != 0 || out.w[0] != i + 1)
                bad++;
        }
    }
    __atomic_fetch_add(&w[1], bad ? 1000 : 1, __ATOMIC_SEQ_CST);
    vn_env_wake_word((const uint64_t *)&w[1]);
    for (;;)
        vn_env_wait(0, (const uint64_t *)&w[0], w[0], VN_WAIT_NE);
}

/* One row: start the workers stopped on their marks, release them all at
 * once, sleep until the last is done.  Returns 0, or 1 with a "bench: "
 * line when a worker failed or could not start. */
static int row(const char *name, uint64_t mode, uint64_t n, int cpus)
{
    capref_t env[SCALE_ENVS], srv[SCALE_ENVS] = {0};
    long ep[SCALE_ENVS] = {0};
    shared[0] = shared[1] = 0;
    for (int i = 0; i < SCALE_ENVS; i++) {
        env[i] = vn_spawn_share("scale", QUOTA, mode, (uint64_t)i | n << 8, vn_page_cap((uint64_t)shared),
                                CR_READ | CR_WRITE | CR_MAP);
        if (env[i] < 0) {
            printf("bench: scale %s: cannot start a worker: %s\n", name, vn_strerror(env[i]));
            return 1;
        }
        if (mode == W_CLIENT) {
            srv[i] = vn_spawn_stopped("scale", QUOTA, W_SERVER, 0);
            long root = srv[i] < 0 ? srv[i] : vn_ipc_endpoint(srv[i]);
            long r = root < 0 ? root : vn_cap_grant((capref_t)root, env[i], CR_WRITE);
            ep[i] = root;
            if (r < 0 || vn_env_start(srv[i]) < 0) {
                printf("bench: scale ipc: no server: %s\n", vn_strerror(r));
                return 1;
            }
            shared[8 + i] = (uint64_t)r;
        }
    }
    for (int i = 0; i < 200; i++)   /* let them reach the start line */
        vn_yield();
    uint64_t t0 = vn_clock_ns();
    shared[0] = 1;
    vn_env_wake_word((const uint64_t *)&shared[0]);
    uint64_t done;
    while ((done = shared[1]) < SCALE_ENVS)
        vn_env_wait(2000000000ul, (const uint64_t *)&shared[1], done, VN_WAIT_NE);
    uint64_t t1 = vn_clock_ns();
    for (int i = 0; i < SCALE_ENVS; i++) {
        vn_kill(env[i]);
        if (srv[i] > 0) {
            vn_kill(srv[i]);
            vn_cap_delete((capref_t)ep[i]);
        }
    }
    if (done != SCALE_ENVS) {
        printf("bench: scale %s: %lu operations failed\n", name, (unsigned long)(done / 1000));
        return 1;
    }
    printf("SCALE os=veneer row=%s cpus=%d envs=%d ops=%lu ns=%lu\n", name, cpus, SCALE_ENVS,
           (unsigned long)(n * SCALE_ENVS), (unsigned long)(t1 - t0));
    return 0;
}

int main(uint64_t arg0, uint64_t arg1);
int main(uint64_t arg0, uint64_t arg1)
{
    if (arg0 >= W_NULL)
        return worker(arg0, arg1);
    uint64_t q = arg0 ? 100 : 1;
    int cpus = (int)vn_sysinfo->ncpus;
    shared = vn_alloc_pages(1);
    printf("BENCH os=veneer start\n");
    int bad = row("null", W_NULL, SCALE_ITERS / q, cpus) | row("fault", W_FAULT, SCALE_FAULTS / q, cpus) |
              row("ipc", W_CLIENT, SCALE_IPCS / q, cpus);
    printf("BENCH os=veneer end\n");
    vn_mem_release_all();
    return bad;
}
