/*
 * drvsup: the supervisor of a block driver environment (user/blkd.c).
 * It holds the NVMe controller's device capability (its spawner grants
 * it and names it in arg1; the boot archive, to spawn blkd from, is its
 * share), runs one blkd instance at a time with it, and
 * speaks blkd's protocol (<veneer/blkd.h>) to the clients itself,
 * forwarding each call, with the same badge, to the current instance:
 *
 *   client --badge b--> drvsup --badge b--> blkd (instance n)
 *                  data: ring + DMA between client and blkd directly
 *
 * It keeps what recreating the clients' service needs: the extents in
 * the order they were minted (a new instance mints the same badges), a
 * copy of every page grant and notification word, every queue's shape.
 * When the instance dies (a forwarded call fails with -E_DEAD, or it is
 * found dead between calls; the kernel has reset the device and emptied
 * its domain) drvsup starts instance n + 1, re-mints, re-grants and
 * re-attaches every ring (BLKD_REATTACH), and bumps its epoch; a client
 * that sees a new epoch in a doorbell's reply re-submits what had no
 * completion (lib/fs/blkdev_veneer.c).
 *
 * arg0, for tests: kill the instance (arg0 & 0xffffffff) times, one
 * every arg0 >> 32 ms while clients are served (the crash test).
 */
#include <libveneer.h>
#include <ipc.h>
#include <vn.h>
#include <veneer/blk.h>
#include <veneer/blkd.h>

#define SUP_QUOTA   2048                /* pages for each instance */
#define SUP_GRANTS  (BLKD_EXTENTS_MAX * 2)

struct sup_extent { uint64_t base, count, rights; capref_t fwd; };
struct sup_grant { uint64_t badge; uint64_t client; capref_t cap; };
struct sup_queue { uint64_t badge, w1, w2, w3; capref_t notify; uint64_t qid; };

static struct {
    capref_t dev;                       /* the device capability */
    capref_t env, ep;                   /* the current instance; its unbadged endpoint */
    uint64_t epoch, restarts;
    struct sup_extent ext[BLKD_EXTENTS_MAX];
    unsigned next;
    struct sup_grant g[SUP_GRANTS];
    unsigned ngrants;
    struct sup_queue q[BLKD_QUEUES_MAX];
    unsigned nqueues;
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

static bool instance_alive(void)
{
    struct vn_capinfo ci;
    return s.env >= 0 && vn_cap_info(s.env, &ci) == 0 && ci.env_status == 1;
}

/* Start an instance and give it back everything the clients had: the
 * extents (the same badges), the grants, the rings.  Returns 0 or a
 * negative E_* (then there is no instance). */
static long instance_start(void)
{
    s.env = vn_spawn_share_stopped("blkd", SUP_QUOTA, 0, 0, s.dev, CR_ALL, 0);
    long ep = s.env < 0 ? s.env : vn_ipc_endpoint(s.env);
    if (ep < 0 || vn_env_start(s.env) < 0)
        return ep < 0 ? ep : -E_INVAL;
    s.ep = (capref_t)ep;
    uint64_t res[4];
    for (unsigned i = 0; i < s.next; i++) {
        struct sup_extent *e = &s.ext[i];
        long r = fwd(s.ep, BLKD_EXTENT, e->base, e->count, e->rights, -1, res);
        if (r < 0 || res[1] != i + 1)
            return r < 0 ? r : -E_INVAL;
        if (e->fwd >= 0)
            vn_cap_delete(e->fwd);
        long b = vn_ipc_badge(s.ep, i + 1, CR_WRITE);
        if (b < 0)
            return b;
        e->fwd = (capref_t)b;
    }
    for (unsigned i = 0; i < s.ngrants; i++)
        fwd(s.ext[s.g[i].badge - 1].fwd, BLKD_GRANT, s.g[i].client, 0, 0, s.g[i].cap, res);
    for (unsigned i = 0; i < s.nqueues; i++) {
        struct sup_queue *q = &s.q[i];
        if (fwd(s.ext[q->badge - 1].fwd, BLKD_QUEUE, q->w1, q->w2 | (uint64_t)BLKD_REATTACH << 32, q->w3,
                q->notify, res) == 0)
            q->qid = res[1];
    }
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
    if (s.ep >= 0)
        vn_cap_delete(s.ep);
    s.env = s.ep = -1;
    s.restarts++;
    long r = instance_start();
    printf("drvsup: blkd restarted (%lu), epoch %lu%s\n", s.restarts, s.epoch, r < 0 ? ": FAILED" : "");
}

/* One client call: served here (extents, bookkeeping) and forwarded. */
static void serve(const struct vn_msg *m, uint64_t rep[4])
{
    bool keep = false;
    long r = -E_INVAL;
    struct sup_extent *e = m->badge && m->badge <= s.next ? &s.ext[m->badge - 1] : NULL;
    memset(rep, 0, 4 * sizeof(rep[0]));
    for (int attempt = 0; attempt < 2; attempt++) {
        if (m->badge == 0 && (m->w[0] == BLKD_EXTENT || m->w[0] == BLKD_INFO)) {
            r = fwd(s.ep, m->w[0], m->w[1], m->w[2], m->w[3], -1, rep);
            if (r == 0 && m->w[0] == BLKD_EXTENT) {
                long b = rep[1] == s.next + 1 ? vn_ipc_badge(s.ep, rep[1], CR_WRITE) : -E_INVAL;
                if (b < 0) {
                    r = b;
                } else {
                    s.ext[s.next++] = (struct sup_extent){m->w[1], m->w[2], m->w[3], (capref_t)b};
                }
            }
        } else if (!e) {
            r = -E_PERM;
            break;
        } else if (m->w[0] == BLKD_DOORBELL) {
            unsigned i = (unsigned)m->w[1];
            if (i >= s.nqueues || s.q[i].badge != m->badge) {
                r = -E_NOENT;
                break;
            }
            r = fwd(e->fwd, BLKD_DOORBELL, s.q[i].qid, 0, 0, -1, rep);
            rep[1] = s.epoch;
        } else if (m->w[0] == BLKD_GRANT) {
            if (s.ngrants == SUP_GRANTS) {
                r = -E_NOSPC;
                break;
            }
            r = fwd(e->fwd, BLKD_GRANT, m->w[1], 0, 0, m->cap, rep);
            if (r == 0) {
                s.g[s.ngrants++] = (struct sup_grant){m->badge, m->w[1], m->cap};
                keep = true;
            }
        } else if (m->w[0] == BLKD_QUEUE) {
            if (s.nqueues == BLKD_QUEUES_MAX || (m->w[2] >> 32) & BLKD_REATTACH) {
                r = s.nqueues == BLKD_QUEUES_MAX ? -E_NOSPC : -E_INVAL;
                break;
            }
            r = fwd(e->fwd, BLKD_QUEUE, m->w[1], m->w[2], m->w[3], m->cap, rep);
            if (r == 0) {
                s.q[s.nqueues] = (struct sup_queue){m->badge, m->w[1], m->w[2], m->w[3], m->cap, rep[1]};
                rep[1] = s.nqueues++;
                keep = true;
            }
        } else {
            r = fwd(e->fwd, m->w[0], m->w[1], m->w[2], m->w[3], -1, rep);
        }
        if (r != -E_DEAD && instance_alive())
            break;
        instance_restart();             /* and try the call once more */
    }
    if (!keep && m->cap >= 0)
        vn_cap_delete(m->cap);
    rep[0] = (uint64_t)r;
}

int main(uint64_t arg0, uint64_t dev)
{
    uint64_t kills = arg0 & 0xffffffffu, every_ms = arg0 >> 32;
    s.dev = (capref_t)dev;
    s.env = s.ep = -1;
    for (unsigned i = 0; i < BLKD_EXTENTS_MAX; i++)
        s.ext[i].fwd = -1;
    long r = instance_start();
    if (r < 0) {
        printf("drvsup: cannot start blkd (%s)\n", vn_strerror(r));
        return 1;
    }
    uint64_t next_kill = vn_clock_ns() + every_ms * 1000000ull;
    for (;;) {
        struct vn_msg m;
        /* Idle, it wakes once a second (a dead instance is also found at
         * the next call it fails); every 10 ms while kills are due. */
        if (vn_recv(kills ? 10000000ull : 1000000000ull, &m) == 0) {
            uint64_t rep[4];
            serve(&m, rep);
            vn_ipc_reply(rep[0], rep[1], rep[2], rep[3]);
        }
        if (!instance_alive()) {
            instance_restart();
        } else if (kills && s.nqueues && vn_clock_ns() > next_kill) {
            kills--;
            printf("drvsup: killing blkd (%lu more)\n", kills);
            instance_restart();
            next_kill = vn_clock_ns() + every_ms * 1000000ull;
        }
    }
}
