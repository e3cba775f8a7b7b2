/*
 * netsup: the supervisor of the NIC driver environment (user/netmux.c),
 * as drvsup.c is blkd's.  With net=user the kernel starts it as the first
 * boot environment's child with the boot archive (slot 1, to spawn netmux
 * from) and the NIC's device capability (arg1); the clients' badged
 * endpoints lead here.  It runs one netmux at a time and speaks netmux's
 * protocol (<veneer/netmux.h>) to the clients, forwarding each call with
 * the same badge:
 *
 *   client --badge b--> netsup --badge b--> netmux (instance n)
 *                  data: frames into the client's rings by netmux directly
 *
 * It keeps what recreating the clients' service needs: a copy of every
 * granted page capability and notification word, and every filter's
 * program, flags and bits.  Handles and filter ids the clients see are
 * netsup's own, translated to the current instance's.  When the instance
 * dies (a forwarded call fails with -E_DEAD, or it is found dead between
 * calls; the kernel has reset the NIC and emptied its domain) netsup
 * starts instance n + 1 and re-grants and re-installs everything (the
 * rings restart empty: frames in flight are lost, and TCP sends them
 * again).
 *
 * net_crash=N net_crash_ms=M on the kernel command line (tests): kill the
 * instance N times, one every M ms (default 300) once a filter exists.
 */
#include <libveneer.h>
#include <ipc.h>
#include <vn.h>
#include <veneer/net.h>
#include <veneer/netmux.h>

#define SUP_QUOTA   2048                /* pages for each instance */
#define SUP_GRANTS  128
#define PAGE        4096ull

struct sup_grant { uint64_t badge; capref_t cap; uint8_t *page0; uint64_t mux; };
struct sup_filter {
    uint64_t badge, grant, flags, bits, mux;
    uint32_t n;
    capref_t word;                      /* 0: free */
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
};

static struct {
    capref_t dev, env, ep;              /* the device; the instance and its unbadged endpoint */
    capref_t fwd[NETMUX_CLIENTS_MAX + 1];   /* the instance's endpoint with each badge (-1: none yet) */
    uint64_t epoch, restarts;
    struct sup_grant g[SUP_GRANTS];     /* cap 0: free */
    struct sup_filter f[NETMUX_FILTERS_MAX];
} s;

static long fwd(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, capref_t xfer, uint64_t res[4])
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg m;
    long r = vn_call(ep, in, xfer, &m);
    if (res)
        memcpy(res, m.w, sizeof(m.w));
    return r < 0 ? r : (long)m.w[0];
}

/* The current instance's endpoint for badge b (made on first use). */
static capref_t fwd_ep(uint64_t b)
{
    if (s.fwd[b] < 0 && s.ep >= 0) {
        long e = vn_ipc_badge(s.ep, b, CR_WRITE);
        s.fwd[b] = e < 0 ? -1 : (capref_t)e;
    }
    return s.fwd[b];
}

static bool instance_alive(void)
{
    struct vn_capinfo ci;
    return s.env >= 0 && vn_cap_info(s.env, &ci) == 0 && ci.env_status == 1;
}

/* Re-install filter f on the current instance (its program written back
 * where netmux reads it).  Returns netmux's status. */
static long filter_install(struct sup_filter *f)
{
    uint64_t res[4];
    struct sup_grant *g = &s.g[f->grant];
    memcpy(g->page0 + NETMUX_PROG_OFF, f->prog, f->n * sizeof(f->prog[0]));
    long r = fwd(fwd_ep(f->badge), NETMUX_FILTER, g->mux | (uint64_t)f->n << 32, f->flags, f->bits, f->word, res);
    if (r == 0)
        f->mux = res[1];
    return r;
}

/* Start an instance and give it back everything the clients had.
 * Returns 0 or a negative E_* (then there is no instance). */
static long instance_start(void)
{
    uint64_t res[4];
    s.env = vn_spawn_share_stopped("netmux", SUP_QUOTA, 0, VN_CAP_SPAWN_SHARE, s.dev, CR_ALL, 0);
    long ep = s.env < 0 ? s.env : vn_ipc_endpoint(s.env);
    if (ep < 0 || vn_env_start(s.env) < 0)
        return ep < 0 ? ep : -E_INVAL;
    s.ep = (capref_t)ep;
    for (unsigned i = 0; i < SUP_GRANTS; i++)
        if (s.g[i].cap && fwd(fwd_ep(s.g[i].badge), NETMUX_GRANT, 0, 0, 0, s.g[i].cap, res) == 0)
            s.g[i].mux = res[1];
    for (unsigned i = 0; i < NETMUX_FILTERS_MAX; i++)
        if (s.f[i].word)
            filter_install(&s.f[i]);
    s.epoch++;
    return 0;
}

/* The instance died or is to die: end it, start the next. */
static void instance_restart(void)
{
    if (s.env >= 0) {
        vn_kill(s.env);
        vn_wait(s.env);
    }
    for (unsigned b = 0; b <= NETMUX_CLIENTS_MAX; b++) {
        if (s.fwd[b] >= 0)
            vn_cap_delete(s.fwd[b]);
        s.fwd[b] = -1;
    }
    if (s.ep >= 0)
        vn_cap_delete(s.ep);
    s.env = s.ep = -1;
    s.restarts++;
    long r = instance_start();
    printf("netsup: netmux restarted (%lu), epoch %lu%s\n", s.restarts, s.epoch, r < 0 ? ": FAILED" : "");
}

static struct sup_grant *grant_of(uint64_t b, uint64_t k)
{
    return k < SUP_GRANTS && s.g[k].cap && s.g[k].badge == b ? &s.g[k] : NULL;
}

static struct sup_filter *filter_of(uint64_t b, uint64_t j)
{
    return j < NETMUX_FILTERS_MAX && s.f[j].word && s.f[j].badge == b ? &s.f[j] : NULL;
}

/* One client call of badge b: translated, forwarded, recorded.  *keep:
 * the capability it carried stays ours. */
static long serve_one(const struct vn_msg *m, uint64_t b, uint64_t rep[4], bool *keep)
{
    struct sup_grant *g;
    struct sup_filter *f;
    long r;
    capref_t ep = fwd_ep(b);
    switch (m->w[0]) {
    case NETMUX_GRANT: {
        unsigned k = 0;
        while (k < SUP_GRANTS && s.g[k].cap)
            k++;
        if (k == SUP_GRANTS)
            return -E_NOSPC;
        if ((r = fwd(ep, NETMUX_GRANT, 0, 0, 0, m->cap, rep)) < 0)
            return r;
        uint64_t va = vn_va_reserve(1);
        struct vn_map_entry me = {va, m->cap, VM_PROT_WRITE, 0};
        if (vn_page_map(CAP_SELF, &me, 1) < 0) {
            fwd(ep, NETMUX_UNGRANT, rep[1], 0, 0, -1, NULL);
            return -E_INVAL;
        }
        s.g[k] = (struct sup_grant){.badge = b, .cap = m->cap, .page0 = (uint8_t *)va, .mux = rep[1]};
        rep[1] = k;
        *keep = true;
        return 0;
    }
    case NETMUX_UNGRANT:
        if (!(g = grant_of(b, m->w[1])))
            return -E_NOENT;
        if ((r = fwd(ep, NETMUX_UNGRANT, g->mux, 0, 0, -1, rep)) == 0) {
            vn_cap_delete(g->cap);
            *g = (struct sup_grant){0};
        }
        return r;
    case NETMUX_FILTER: {
        uint32_t n = (uint32_t)(m->w[1] >> 32);
        uint64_t k = (uint32_t)m->w[1];
        unsigned j = 0;
        if (!(g = grant_of(b, k)))
            return -E_NOENT;
        if (n > VN_PF_MAX_INSNS)
            return -E_INVAL;
        while (j < NETMUX_FILTERS_MAX && s.f[j].word)
            j++;
        if (j == NETMUX_FILTERS_MAX)
            return -E_NOSPC;
        f = &s.f[j];
        *f = (struct sup_filter){.badge = b, .grant = k, .flags = m->w[2], .bits = m->w[3], .n = n};
        memcpy(f->prog, g->page0 + NETMUX_PROG_OFF, n * sizeof(f->prog[0]));
        if ((r = fwd(ep, NETMUX_FILTER, g->mux | (uint64_t)n << 32, m->w[2], m->w[3], m->cap, rep)) < 0)
            return r;
        f->word = m->cap;
        f->mux = rep[1];
        rep[1] = j;
        *keep = true;
        return 0;
    }
    case NETMUX_UNFILTER:
        if (!(f = filter_of(b, m->w[1])))
            return -E_NOENT;
        if ((r = fwd(ep, NETMUX_UNFILTER, f->mux, 0, 0, -1, rep)) == 0) {
            vn_cap_delete(f->word);
            *f = (struct sup_filter){0};
        }
        return r;
    case NETMUX_SEND:
        if (!(f = filter_of(b, m->w[1])) || !(g = grant_of(b, m->w[2])))
            return -E_NOENT;
        return fwd(ep, NETMUX_SEND, f->mux, g->mux, m->w[3], -1, rep);
    default:
        return fwd(ep, m->w[0], m->w[1], m->w[2], m->w[3], -1, rep);
    }
}

static void serve(const struct vn_msg *m, uint64_t rep[4])
{
    bool keep = false;
    long r = -E_PERM;
    memset(rep, 0, 4 * sizeof(rep[0]));
    for (int attempt = 0; m->badge >= 1 && m->badge <= NETMUX_CLIENTS_MAX && attempt < 2; attempt++) {
        r = serve_one(m, m->badge, rep, &keep);
        if (r != -E_DEAD && instance_alive())
            break;
        instance_restart();             /* and try the call once more */
    }
    if (!keep && m->cap >= 0)
        vn_cap_delete(m->cap);
    rep[0] = (uint64_t)r;
}

static bool any_filter(void)
{
    for (unsigned i = 0; i < NETMUX_FILTERS_MAX; i++)
        if (s.f[i].word)
            return true;
    return false;
}

int main(uint64_t arg0, uint64_t dev)
{
    (void)arg0;
    uint64_t kills = vn_cmdline_num("net_crash", 0), every_ms = vn_cmdline_num("net_crash_ms", 300);
    s.dev = (capref_t)dev;
    s.env = s.ep = -1;
    for (unsigned b = 0; b <= NETMUX_CLIENTS_MAX; b++)
        s.fwd[b] = -1;
    long r = instance_start();
    if (r < 0) {
        printf("netsup: cannot start netmux (%s)\n", vn_strerror(r));
        return 1;
    }
    uint64_t next_kill = vn_clock_ns() + every_ms * 1000000ull;
    for (;;) {
        struct vn_msg m;
        if (vn_recv(10000000ull, &m) == 0) {
            uint64_t rep[4];
            serve(&m, rep);
            vn_ipc_reply(rep[0], rep[1], rep[2], rep[3]);
        }
        if (!instance_alive()) {
            instance_restart();
        } else if (kills && any_filter() && vn_clock_ns() > next_kill) {
            kills--;
            printf("netsup: killing netmux (%lu more)\n", kills);
            instance_restart();
            next_kill = vn_clock_ns() + every_ms * 1000000ull;
        }
    }
}
