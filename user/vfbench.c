/*
 * The vf suite of make bench (bench/vf/, mk/bench_vf.mk): 4 KiB random
 * reads and writes (each write followed by a flush, both waited for) on
 * one NVMe controller with SR-IOV, by one client and by two at once, in
 * two Veneer configurations of the same QEMU machine:
 *
 *   vf   (VF-direct, suite "vf"): user/vfmgr.c (arg1 = 5) holds the PF,
 *        enables two VFs and starts this program twice, a leader on VF 1
 *        and a background client on VF 2.  Each links the NVMe driver
 *        (drivers/nvme, the user home) and drives its VF itself: its own
 *        queues, its private namespace, its MSI-X vector (rows vf_rd*,
 *        vf_wf*: interrupts), or no interrupt at all (vf_prd1, vf_pwf1:
 *        it polls the completion queue).
 *   vfk  (the kernel's shared NVMe driver, suite "vfk"): the kernel
 *        drives the PF; this program is the first environment (init=
 *        vfbench): it splits the namespace's root extent in two halves
 *        (blk_derive), keeps one and starts its background client with
 *        the other; both use blk queues (include/veneer/blk.h).
 *   vfu  (the same in a user-level driver environment, suite "vfu",
 *        blk=user): the kernel leaves the PF to user space; this program
 *        starts user/drvsup (and so user/blkd) on it, mints the two
 *        halves as blkd extents and runs the same loop over the same
 *        rings, the doorbell a call (lib/libveneer/blk_home.c).  With vfk
 *        and vf, issue 17's three homes of one NVMe driver side by side.
 *
 * The leader runs bench_common.h's harness.  Rows ending in 1: the
 * background client sleeps; rows ending in 2: it runs the same operation
 * in a loop while the leader is timed, and a row's operations are both
 * clients' (the leader's done hook adds the background's count), so its
 * per-op figure is the pair's cost per request: the inverse of their
 * combined throughput.  Offsets are random 4 KiB blocks (xorshift, a
 * seed per client) in the client's VFB_REGION bytes.
 *
 * The two share one page (slot VN_CAP_SPAWN_SHARE of the background):
 * struct vfb_ctl, with the capability of a notification word the leader
 * signals when it wants the background to run.  The background finds its
 * device (CAP_DEVICE, a VF) or extent (CAP_BLK) among its capabilities.
 *
 * arg0: VFB_QUICK (bench-smoke counts) | role (VFB_TOP: vfk's first
 * environment, VFB_LEADER, VFB_BACKGROUND).  Errors make it print a line
 * starting "bench: " (bench/run.sh fails the run) and return 1.
 */
#include <blk_home.h>
#include <libveneer.h>
#include <vn.h>
#include <veneer/blk.h>
#include "blkdev.h"
#include "home_user.h"
#include "nvme/nvme.h"
#include "../bench/bench_common.h"
#include "../bench/vf/vfb.h"

int main(uint64_t arg0, uint64_t arg1);

#define VFB_TIMEOUT_NS 5000000000ul
#define VFB_QUOTA      1024
#define VFB_SUP_QUOTA  4096             /* vfu: drvsup's, blkd's (2048) within it */
#define BLK_SLOTS      8

static const struct drv_driver *const drivers[] = {&nvme_driver};
static volatile struct vfb_ctl *ctl;
static capref_t wake;               /* the background's notification word */
static long errors;
static uint64_t rng;
static uint64_t region_pages;       /* 4 KiB blocks a client may touch */

/* ---- the two ways to the disk */
static bool vf_mode;
static struct blkdev *bd;           /* VF-direct: the driver in this program */
static struct drv_dma buf;
static uint32_t per_page;           /* device blocks per 4 KiB */

static struct {                     /* vfk, vfu: a blk queue on this client's extent */
    capref_t ext, ep, word, q, data;    /* ep: blkd's endpoint (vfu), or -1 (vfk: the kernel) */
    uint64_t epoch;
    uint32_t start;
    volatile struct vn_blkq_hdr *h;
    volatile struct vn_blk_req *sq;
    volatile struct vn_blk_cpl *cq;
    uint32_t tail, cq_tail;
} blk;

static uint64_t next_page(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % region_pages;
}

/* Open a queue of BLK_SLOTS on extent ext, in either home (blk_home.h).
 * 0 or the calls' errors. */
static int blk_open(capref_t ext)
{
    struct vn_blkinfo bi;
    long r = blk_home_info(ext, &blk.ep, &bi);
    if (r < 0)
        return (int)r;
    per_page = VFB_BYTES / bi.block_size;
    if (!per_page || VFB_BYTES % bi.block_size || bi.count / per_page < region_pages)
        return -E_RANGE;
    uint64_t n = VN_BLKQ_PAGES(BLK_SLOTS);
    long w = vn_notify_create(), ring = vn_page_alloc(CAP_SELF, 0, n), data = vn_page_alloc(CAP_SELF, 0, 1);
    if (w < 0 || ring < 0 || data < 0)
        return (int)(w < 0 ? w : ring < 0 ? ring : data);
    uint64_t va = vn_va_reserve(n);
    struct vn_map_entry m[8];
    for (uint64_t i = 0; i < n && i < 8; i++)
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, (capref_t)ring, VM_PROT_WRITE, i};
    if ((r = vn_page_map(CAP_SELF, m, n)) < 0)
        return (int)r;
    struct vn_blkq_req req = {.ring = (capref_t)ring, .notify = (capref_t)w, .bits = 1, .nslots = BLK_SLOTS,
                              .inflight = 1};
    long q = blk_home_queue(ext, blk.ep, (capref_t)data, &req);
    if (q < 0)
        return (int)q;
    blk.ext = ext;
    blk.word = (capref_t)w;
    blk.q = (capref_t)q;
    blk.data = (capref_t)data;
    blk.h = (volatile struct vn_blkq_hdr *)va;
    blk.sq = (volatile struct vn_blk_req *)(va + PAGE_SIZE);
    blk.cq = (volatile struct vn_blk_cpl *)(va + PAGE_SIZE * (1 + (BLK_SLOTS + VN_BLKQ_SQ_PER_PAGE - 1) /
                                                               VN_BLKQ_SQ_PER_PAGE));
    return 0;
}

/* One request through the blk queue, rung and waited for. */
static void blk_do(uint8_t op, uint64_t page)
{
    bool fl = op == VN_BLK_FLUSH;
    blk.sq[blk.tail % BLK_SLOTS] = (struct vn_blk_req){
        .id = blk.tail, .op = op, .npages = fl ? 0 : 1, .extent = blk.ext, .block = page * per_page,
        .nblocks = fl ? 0 : per_page, .pages = fl ? 0 : blk.data, .page_index = 0};
    __atomic_store_n(&blk.h->sq_tail, ++blk.tail, __ATOMIC_RELEASE);
    if (blk_home_doorbell(blk.ep, blk.q, &blk.epoch, &blk.start) != 1)
        errors++;
    while (__atomic_load_n(&blk.h->cq_head, __ATOMIC_ACQUIRE) == blk.cq_tail)
        if (vn_notify_wait(blk.word, VFB_TIMEOUT_NS) < 0)
            break;
    if (blk.h->cq_head == blk.cq_tail || blk.cq[blk.cq_tail % BLK_SLOTS].status != 0)
        errors++;
    if (blk.h->cq_head != blk.cq_tail)
        __atomic_store_n(&blk.h->cq_tail, ++blk.cq_tail, __ATOMIC_RELEASE);
}

/* Attach the VF capability dev with the NVMe driver.  0 or the errors of
 * uhome_attach, drv_dma_alloc; -E_NODEV if it shows no single namespace. */
static int vf_open(capref_t dev)
{
    struct drv_dev *d;
    int r = uhome_init();
    if (r == 0)
        r = uhome_attach(dev, drivers, 1, &d);
    if (r < 0)
        return r;
    bd = blkdev_find(0);
    if (!bd || bd->nns != 1)
        return -E_NODEV;
    per_page = VFB_BYTES / bd->ns[0].block_size;
    if (!per_page || bd->ns[0].blocks / per_page < region_pages)
        return -E_RANGE;
    return drv_dma_alloc(d, DRV_PAGE, &buf);
}

static void vf_do(uint8_t op, uint64_t page, bool poll)
{
    bool fl = op == BLKDEV_FLUSH;
    if (uhome_blk_sync(bd, op, fl ? 0 : page * per_page, fl ? 0 : per_page, fl ? 0 : buf.iova, fl ? 0 : 1, poll,
                       VFB_TIMEOUT_NS) != 0)
        errors++;
}

/* One operation of kind op (VFB_OP_*), on a random block. */
static void do_op(unsigned op, bool poll)
{
    uint64_t p = next_page();
    if (vf_mode) {
        vf_do(op == VFB_OP_READ ? BLKDEV_READ : BLKDEV_WRITE, p, poll);
        if (op == VFB_OP_WRITE)
            vf_do(BLKDEV_FLUSH, 0, poll);
    } else {
        blk_do(op == VFB_OP_READ ? VN_BLK_READ : VN_BLK_WRITE, p);
        if (op == VFB_OP_WRITE)
            blk_do(VN_BLK_FLUSH, 0);
    }
}

/* ---- the leader's rows */
static uint64_t bg_count0;
static long lonely;                 /* full two-client samples the background did nothing in */

static void op_rd(void) { do_op(VFB_OP_READ, false); }
static void op_wf(void) { do_op(VFB_OP_WRITE, false); }
static void op_prd(void) { do_op(VFB_OP_READ, true); }
static void op_pwf(void) { do_op(VFB_OP_WRITE, true); }

/* Set what the background does next (waking it for work). */
static void bg_set(unsigned op)
{
    __atomic_store_n(&ctl->op, op, __ATOMIC_RELEASE);
    if (op != VFB_OP_IDLE)
        vn_notify_signal(wake, 1);
    bg_count0 = __atomic_load_n(&ctl->count, __ATOMIC_ACQUIRE);
}

static void prep_alone(uint64_t n) { (void)n; bg_set(VFB_OP_IDLE); }
static void prep_rd2(uint64_t n) { (void)n; bg_set(VFB_OP_READ); }
static void prep_wf2(uint64_t n) { (void)n; bg_set(VFB_OP_WRITE); }

/* Both clients' operations in the run just timed (none in a run of 0). */
static uint64_t done_pair(uint64_t n)
{
    uint64_t bg = __atomic_load_n(&ctl->count, __ATOMIC_ACQUIRE) - bg_count0;
    __atomic_store_n(&ctl->op, VFB_OP_IDLE, __ATOMIC_RELEASE);
    if (n >= VFB_ITERS && bg == 0)
        lonely++;                   /* a two-client row measured one */
    return n ? n + bg : 0;
}

static const struct bench_op vf_ops[] = {
    {"vf_rd1", op_rd, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_wf1", op_wf, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_prd1", op_prd, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_pwf1", op_pwf, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_rd2", op_rd, VFB_ITERS, 0, prep_rd2, done_pair},
    {"vf_wf2", op_wf, VFB_ITERS, 0, prep_wf2, done_pair},
};
static const struct bench_op vfk_ops[] = {
    {"vfk_rd1", op_rd, VFB_ITERS, 0, prep_alone, NULL},
    {"vfk_wf1", op_wf, VFB_ITERS, 0, prep_alone, NULL},
    {"vfk_rd2", op_rd, VFB_ITERS, 0, prep_rd2, done_pair},
    {"vfk_wf2", op_wf, VFB_ITERS, 0, prep_wf2, done_pair},
};
static const struct bench_op vfu_ops[] = {
    {"vfu_rd1", op_rd, VFB_ITERS, 0, prep_alone, NULL},
    {"vfu_wf1", op_wf, VFB_ITERS, 0, prep_alone, NULL},
    {"vfu_rd2", op_rd, VFB_ITERS, 0, prep_rd2, done_pair},
    {"vfu_wf2", op_wf, VFB_ITERS, 0, prep_wf2, done_pair},
};

/* ---- roles */

/* The first capability of type t in our table (from slot 2 on), or -1. */
static capref_t find_cap(uint32_t t)
{
    for (capref_t c = 2; c < 256; c++) {
        struct vn_capinfo ci;
        if (vn_cap_info(c, &ci) == 0 && ci.type == t)
            return c;
    }
    return -1;
}

static volatile struct vfb_ctl *map_ctl(void)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    return vn_page_map(CAP_SELF, &m, 1) == 1 ? (volatile struct vfb_ctl *)va : NULL;
}

/* The background client: the operation the leader asks for, in a loop,
 * sleeping while it asks for none, until VFB_OP_STOP. */
static int background(void)
{
    if (!(ctl = map_ctl()))
        return 1;
    vn_env_wait(VFB_TIMEOUT_NS, (const uint64_t *)&ctl->wake_cap[0], 0, VN_WAIT_NE);
    wake = (capref_t)ctl->wake_cap[0];
    capref_t dev = find_cap(CAP_DEVICE), ext = find_cap(CAP_BLK);
    if (ext < 0)
        ext = find_cap(CAP_ENDPOINT);   /* vfu: an extent of blkd's */
    vf_mode = dev >= 0;
    int r = vf_mode ? vf_open(dev) : ext >= 0 ? blk_open(ext) : -E_NOENT;
    __atomic_store_n(&ctl->bg_status, r == 0 ? 1 : r, __ATOMIC_RELEASE);
    if (r < 0)
        return 1;
    for (;;) {
        unsigned op = __atomic_load_n(&ctl->op, __ATOMIC_ACQUIRE);
        if (op == VFB_OP_STOP)
            break;
        if (op == VFB_OP_IDLE) {
            vn_notify_wait(wake, VFB_TIMEOUT_NS);
            continue;
        }
        do_op(op, false);
        __atomic_add_fetch(&ctl->count, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&ctl->bg_errors, (uint64_t)errors, __ATOMIC_RELEASE);
    __atomic_store_n(&ctl->bg_status, 2, __ATOMIC_RELEASE);
    return errors != 0;
}

/* Wait (bounded) for the background to have opened its device. */
static int bg_ready(void)
{
    vn_env_wait(10 * VFB_TIMEOUT_NS, (const uint64_t *)&ctl->bg_status, 0, VN_WAIT_NE);
    int64_t s = (int64_t)ctl->bg_status;
    if (s != 1)
        printf("bench: vfbench: the background client did not start: %s\n",
               s ? vn_strerror((int)s) : "timeout");
    return s == 1 ? 0 : -1;
}

/* Run the rows, then stop the background (and wait for it if env >= 0). */
static int lead(const char *suite, const struct bench_op *ops, size_t nops, int quick, capref_t env)
{
    int st = 1;
    if (bg_ready() == 0) {
        bench_suite = suite;
        st = bench_main("veneer", ops, nops, NULL, quick);   /* ns: ticks at the host-timed TSC rate */
    }
    __atomic_store_n(&ctl->op, VFB_OP_STOP, __ATOMIC_RELEASE);
    vn_notify_signal(wake, 1);
    vn_env_wait(VFB_TIMEOUT_NS, (const uint64_t *)&ctl->bg_status, 1, VN_WAIT_NE);
    if (env >= 0 && vn_wait(env) != 0)
        printf("bench: vfbench: the background client failed\n");
    if (errors || ctl->bg_errors)
        printf("bench: vfbench: %ld requests failed (background: %lu)\n", errors, (unsigned long)ctl->bg_errors);
    if (lonely)
        printf("bench: vfbench: %ld two-client samples ran without the background\n", lonely);
    return st || errors || ctl->bg_errors || lonely;
}

/* vfk: the kernel drives the PF; split the first namespace in two.
 * vfu (blk=user): the same through user/blkd under user/drvsup, which
 * this program starts on the PF the kernel left to user space. */
static int top(int quick)
{
    capref_t root = (capref_t)vn_sysinfo->blk_cap, sup = -1, drv;
    struct vn_blkinfo bi = {0};
    bool user = vn_sysinfo->nblk == 0;
    if (user) {
        long dev = blk_home_find_nvme();
        long ep = dev < 0 ? dev : blk_home_drvsup_start((capref_t)dev, VFB_SUP_QUOTA, 0, &drv);
        long n = ep < 0 ? ep : blk_home_ns_blocks((capref_t)ep, 0);
        if (n < 0) {
            printf("bench: vfbench: blk=user: no blkd (%s)\n", vn_strerror(n));
            return 1;
        }
        sup = (capref_t)ep;
        bi.count = (uint64_t)n;
    } else if (vn_sysinfo->nblk == 0 || vn_blk_info(root, &bi) < 0) {
        printf("bench: vfbench: no disk\n");
        return 1;
    }
    uint64_t half = bi.count / 2;
    long mine = user ? blk_home_extent(sup, 0, 0, half) : vn_blk_derive(root, 0, half, CR_READ | CR_WRITE);
    long other = user ? blk_home_extent(sup, 0, half, half)
                      : vn_blk_derive(root, half, half, CR_READ | CR_WRITE | CR_GRANT);
    ctl = vn_alloc_pages(1);
    long w = vn_notify_create();
    int r = mine < 0 ? (int)mine : other < 0 ? (int)other : w < 0 ? (int)w : blk_open((capref_t)mine);
    if (r < 0 || !ctl) {
        printf("bench: vfbench: setup: %s\n", vn_strerror(r));
        return 1;
    }
    wake = (capref_t)w;
    capref_t env = vn_spawn_share_stopped("vfbench", VFB_QUOTA, VFB_BACKGROUND, 0, vn_page_cap((uint64_t)ctl),
                                          CR_READ | CR_WRITE | CR_MAP, 0);
    long g1 = env < 0 ? env : vn_cap_grant((capref_t)other, env, CR_READ | CR_WRITE);
    long g2 = g1 < 0 ? g1 : vn_cap_grant(wake, env, CR_READ | CR_WRITE);
    if (g2 >= 0) {
        ctl->wake_cap[0] = (uint64_t)g2;
        g2 = vn_env_start(env);
    }
    if (g2 < 0) {
        printf("bench: vfbench: background: %s\n", vn_strerror(g2));
        return 1;
    }
    printf("vfbench: %s, extents [0, %lu) and [%lu, %lu) of %lu-byte blocks\n",
           user ? "blkd under drvsup (blk=user)" : "kernel NVMe driver", (unsigned long)half, (unsigned long)half,
           (unsigned long)(2 * half), (unsigned long)(VFB_BYTES / per_page));
    if (user)
        return lead("vfu", vfu_ops, sizeof(vfu_ops) / sizeof(vfu_ops[0]), quick, env);
    return lead("vfk", vfk_ops, sizeof(vfk_ops) / sizeof(vfk_ops[0]), quick, env);
}

/* vf: spawned by vfmgr with the control page in slot 1 and a VF. */
static int leader(int quick)
{
    if (!(ctl = map_ctl()))
        return 1;
    vn_env_wait(VFB_TIMEOUT_NS, (const uint64_t *)&ctl->wake_cap[1], 0, VN_WAIT_NE);
    wake = (capref_t)ctl->wake_cap[1];
    capref_t dev = find_cap(CAP_DEVICE);
    vf_mode = true;
    int r = dev < 0 ? -E_NOENT : vf_open(dev);
    if (r < 0) {
        printf("bench: vfbench: VF: %s\n", vn_strerror(r));
        __atomic_store_n(&ctl->op, VFB_OP_STOP, __ATOMIC_RELEASE);
        vn_notify_signal(wake, 1);
        return 1;
    }
    return lead("vf", vf_ops, sizeof(vf_ops) / sizeof(vf_ops[0]), quick, -1);
}

int main(uint64_t arg0, uint64_t arg1)
{
    (void)arg1;
    int quick = (arg0 & VFB_QUICK) != 0;
    unsigned role = (unsigned)(arg0 & VFB_ROLE);
    region_pages = VFB_REGION / VFB_BYTES;
    rng = 0x9e3779b97f4a7c15ul ^ (role == VFB_BACKGROUND ? 0x5bd1e995ul : 0);
    switch (role) {
    case VFB_TOP:
        return top(quick);
    case VFB_LEADER:
        return leader(quick);
    case VFB_BACKGROUND:
        return background();
    }
    return 1;
}
