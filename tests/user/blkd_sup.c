/*
 * The supervisor of a user-level block driver environment, for tests
 * (booted with blk=user, so the kernel leaves the NVMe controller alone):
 * it holds the device capability, spawns user/blkd with it, mints an
 * extent of the whole namespace (BLKD_EXTENT on the unbadged endpoint),
 * and hands a badged endpoint to a client.  Before that it plays a
 * hostile client itself: requests outside its extent, naming pages it did
 * not grant, a flood of requests, badges blkd never minted; each must
 * come back as an error completion (or a refused call) while blkd keeps
 * serving; then 3,000 random calls and ring requests (never a write),
 * and a timing of one-at-a-time reads.  Then the unchanged file-system test (extfs_veneer, whose
 * lib/fs/blkdev_veneer.c finds a badged endpoint where a CAP_BLK would
 * be) runs as the client; its status is ours.  Last, a hostile driver:
 * blkd with BLKD_EVIL answers with garbage completions, a nonsense
 * cq_head and a flood of notifications; extfs_veneer as its client must
 * fail cleanly (exit 1, not a fault), the good blkd keep serving, and a
 * second extfs_veneer on the good one pass again.
 */
#include <libveneer.h>
#include <ipc.h>
#include <vn.h>
#include <veneer/blk.h>
#include <veneer/blkd.h>
#include <veneer/dev.h>

#define CHILD_QUOTA 8192
#define NSLOTS      16

static int failures;
#define EXPECT(cond, ...) \
    do { if (!(cond)) { printf("blkd_sup: FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static long call(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, capref_t xfer, uint64_t res[4])
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg m;
    long r = vn_call(ep, in, xfer, &m);
    for (int i = 0; i < 4; i++)
        res[i] = m.w[i];
    return r < 0 ? r : (long)m.w[0];
}

/* n fresh pages mapped writable at *va; their capability. */
static capref_t pages(uint64_t n, uint8_t **va)
{
    long p = vn_page_alloc(CAP_SELF, 0, n);
    if (p < 0)
        return (capref_t)p;
    uint64_t at = vn_va_reserve(n);
    for (uint64_t i = 0; i < n; i++) {
        struct vn_map_entry m = {at + i * 4096, (capref_t)p, VM_PROT_WRITE, i};
        if (vn_page_map(CAP_SELF, &m, 1) != 1)
            return -E_NOMEM;
    }
    *va = (uint8_t *)at;
    return (capref_t)p;
}

/* Wait (bounded) for the completion of the request at cq index i. */
static int completion(volatile struct vn_blkq_hdr *h, volatile struct vn_blk_cpl *cq, uint32_t i, capref_t word,
                      uint64_t *id)
{
    uint64_t until = vn_clock_ns() + 20000000000ull;
    while (__atomic_load_n(&h->cq_head, __ATOMIC_ACQUIRE) == i) {
        if (vn_clock_ns() > until)
            return 1;
        vn_notify_wait(word, 10000000ull);
    }
    *id = cq[i % NSLOTS].id;
    int s = cq[i % NSLOTS].status;
    h->cq_tail = i + 1;
    return s;
}

/* The hostile client: extent and page checks, flood, foreign badges. */
static capref_t ring_cap;
static uint64_t ring_qid;

static void hostile(capref_t ep, capref_t client, uint64_t count)
{
    uint64_t res[4];
    uint8_t *ring, *data, *other_va;
    capref_t rc = pages(VN_BLKQ_PAGES(NSLOTS), &ring), dc = pages(4, &data), oc = pages(1, &other_va);
    long w = vn_notify_create();
    EXPECT(rc > 0 && dc > 0 && oc > 0 && w > 0, "pages");
    EXPECT(call(client, BLKD_GRANT, (uint64_t)rc, 0, 0, rc, res) == 0, "grant ring");
    EXPECT(call(client, BLKD_GRANT, (uint64_t)dc, 0, 0, dc, res) == 0, "grant data");
    EXPECT(call(client, BLKD_GRANT, (uint64_t)dc, 0, 0, dc, res) == -E_EXIST, "grant twice");
    EXPECT(call(client, BLKD_GRANT, 99, 0, 0, -1, res) == -E_INVAL, "grant nothing");
    EXPECT(call(client, BLKD_QUEUE, 77 | (uint64_t)client << 32, NSLOTS | 4ull << 32, 1, (capref_t)w, res) ==
               -E_BADCAP, "queue on an ungranted ring");
    EXPECT(call(client, BLKD_QUEUE, (uint32_t)rc | (uint64_t)client << 32, 12 | 4ull << 32, 1, (capref_t)w, res) ==
               -E_INVAL, "queue of 12 slots");
    long q = call(client, BLKD_QUEUE, (uint32_t)rc | (uint64_t)client << 32, NSLOTS | 4ull << 32, 1, (capref_t)w,
                  res);
    EXPECT(q == 0, "queue: %ld", q);
    uint64_t qid = res[1];
    ring_cap = rc;
    ring_qid = qid;
    volatile struct vn_blkq_hdr *h = (void *)ring;
    volatile struct vn_blk_req *sq = (void *)(ring + 4096);
    volatile struct vn_blk_cpl *cq = (void *)(ring + 8192);
    struct {
        const char *what;
        struct vn_blk_req r;
        int want;
    } cases[] = {
        {"past the extent", {.op = VN_BLK_READ, .npages = 1, .extent = client, .block = count - 4, .nblocks = 8,
                             .pages = dc}, -E_RANGE},
        {"block 2^63", {.op = VN_BLK_WRITE, .npages = 1, .extent = client, .block = 1ull << 63, .nblocks = 8,
                        .pages = dc}, -E_RANGE},
        {"ungranted pages", {.op = VN_BLK_READ, .npages = 1, .extent = client, .nblocks = 8, .pages = oc},
         -E_BADCAP},
        {"the ring as data", {.op = VN_BLK_READ, .npages = 1, .extent = client, .nblocks = 8, .pages = rc},
         -E_BADCAP},
        {"past the grant", {.op = VN_BLK_READ, .npages = 1, .extent = client, .nblocks = 8, .pages = dc,
                            .page_index = 4}, -E_RANGE},
        {"another extent", {.op = VN_BLK_READ, .npages = 1, .extent = client + 1, .nblocks = 8, .pages = dc},
         -E_BADCAP},
        {"bad op", {.op = 9, .extent = client}, -E_INVAL},
        {"npages wrong", {.op = VN_BLK_READ, .npages = 2, .extent = client, .nblocks = 8, .pages = dc}, -E_INVAL},
        {"a good read", {.op = VN_BLK_READ, .npages = 1, .extent = client, .nblocks = 8, .pages = dc}, 0},
    };
    uint32_t n = 0, refused = 0;
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++, n++) {
        struct vn_blk_req r = cases[i].r;
        r.id = 1000 + i;
        memcpy((void *)&sq[n % NSLOTS], &r, sizeof(r));
        h->sq_tail = n + 1;
        EXPECT(call(client, BLKD_DOORBELL, qid, 0, 0, -1, res) == 1, "%s: doorbell", cases[i].what);
        uint64_t id = 0;
        int s = completion(h, cq, n, (capref_t)w, &id);
        EXPECT(s == cases[i].want && id == r.id, "%s: status %d, want %d", cases[i].what, s, cases[i].want);
        refused += s < 0 && s == cases[i].want && id == r.id;
    }
    /* Flood: a tail far ahead (nonsense: nothing taken), then a full ring
     * of reads and many doorbells; every request completes exactly once. */
    h->sq_tail = n + 1000;
    EXPECT(call(client, BLKD_DOORBELL, qid, 0, 0, -1, res) == 0, "nonsense tail taken");
    for (uint32_t k = 0; k < NSLOTS - 4; k++) {
        struct vn_blk_req r = {.id = 5000 + k, .op = VN_BLK_READ, .npages = 1, .extent = client,
                               .block = k * 8, .nblocks = 8, .pages = dc, .page_index = k % 4};
        memcpy((void *)&sq[(n + k) % NSLOTS], &r, sizeof(r));
    }
    h->sq_tail = n + NSLOTS - 4;
    for (int k = 0; k < 200; k++)
        call(client, BLKD_DOORBELL, qid, 0, 0, -1, res);
    unsigned good = 0;
    uint32_t seen = 0;                  /* the device completes them in any order */
    for (uint32_t k = 0; k < NSLOTS - 4; k++) {
        uint64_t id = 0;
        if (completion(h, cq, n + k, (capref_t)w, &id) == 0 && id >= 5000 && id < 5000 + NSLOTS - 4 &&
            !(seen & 1u << (id - 5000))) {
            seen |= 1u << (id - 5000);
            good++;
        }
        if (__atomic_load_n(&h->sq_head, __ATOMIC_ACQUIRE) != h->sq_tail)
            call(client, BLKD_DOORBELL, qid, 0, 0, -1, res);
    }
    EXPECT(good == NSLOTS - 4, "flood: %u of %u completed", good, NSLOTS - 4);
    /* Badges and calls blkd never gave out. */
    long forged = vn_ipc_badge(ep, 9, CR_WRITE);
    EXPECT(forged > 0 && call((capref_t)forged, BLKD_INFO, 0, 0, 0, -1, res) == -E_PERM, "an unminted badge");
    EXPECT(call(client, BLKD_EXTENT, 0, 8, CR_READ, -1, res) == -E_INVAL, "a client minting extents");
    EXPECT(call(client, BLKD_DOORBELL, 7, 0, 0, -1, res) == -E_NOENT, "another's queue");
    EXPECT(call(ep, BLKD_EXTENT, count - 1, 2, CR_READ, -1, res) == -E_RANGE, "an extent past the disk");
    EXPECT(call(ep, BLKD_EXTENT, 0, 8, CR_READ | 7ull << 32, -1, res) == -E_NOENT, "an extent of no namespace");
    EXPECT(call(ep, BLKD_EXTENT, 0, 8, CR_READ | ~0ull << 32, -1, res) == -E_NOENT, "namespace index ~0");
    EXPECT(call(ep, BLKD_INFO, 1ull << 40, 0, 0, -1, res) == -E_NOENT, "info of no namespace");
    printf("blkd_sup: hostile client: %u bad requests refused, %u flooded reads completed once each\n",
           refused, good);
    /* Fuzz: 3,000 random calls (any op, words, a capability or none)
     * and random requests in the ring; blkd must answer every call and
     * still serve a good read after. */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    unsigned answered = 0;
    capref_t xfers[] = {-1, rc, dc, oc, (capref_t)w, client, CAP_SELF};
    for (int k = 0; k < 3000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t op = x % 8, a = x >> 8, b = x >> 3, c = x >> 21;
        if (x & 0x100)
            a %= 64;
        if (op == BLKD_QUEUE || op == BLKD_GRANT)
            op = BLKD_DOORBELL;             /* keep the grant table and queue slots for the checks below */
        if (op == BLKD_DOORBELL && (x & 0x200)) {
            struct vn_blk_req r;
            memcpy(&r, &x, sizeof(x));
            for (unsigned j = 1; j < sizeof(r) / 8; j++)
                memcpy((uint8_t *)&r + j * 8, &(uint64_t){x * (j + 1) ^ a}, 8);
            r.extent = (x & 0x400) ? client : r.extent;
            r.pages = (x & 0x800) ? dc : r.pages;
            if (r.op == VN_BLK_WRITE)
                r.op = VN_BLK_READ;         /* the disk holds the file system checked below */
            memcpy((void *)&sq[h->sq_tail % NSLOTS], &r, sizeof(r));
            h->sq_tail++;
            a = qid;
        }
        long rr = call(client, op, a, b, c, xfers[x % (sizeof(xfers) / sizeof(xfers[0]))], res);
        answered += rr != -E_DEAD && rr != -E_TIMEOUT;
        while (h->cq_tail != h->cq_head && (uint32_t)(h->cq_head - h->cq_tail) <= NSLOTS)
            h->cq_tail++;                   /* consume whatever came back */
    }
    EXPECT(answered == 3000, "fuzz: %u of 3000 calls answered", answered);
    for (int k = 0; k < 100 && h->sq_head != h->sq_tail; k++) {
        call(client, BLKD_DOORBELL, qid, 0, 0, -1, res);
        vn_notify_wait((capref_t)w, 10000000ull);
        while (h->cq_tail != h->cq_head && (uint32_t)(h->cq_head - h->cq_tail) <= NSLOTS)
            h->cq_tail++;
    }
    uint64_t settle = vn_clock_ns() + 2000000000ull;
    while (h->inflight && vn_clock_ns() < settle)
        vn_notify_wait((capref_t)w, 10000000ull);
    while (h->cq_tail != h->cq_head && (uint32_t)(h->cq_head - h->cq_tail) <= NSLOTS)
        h->cq_tail++;
    h->sq_tail = h->sq_head;                /* drop what blkd did not take */
    printf("blkd_sup: fuzz: %u random calls answered\n", answered);
    /* Timing: 4 KiB reads one at a time through blkd (doorbell call,
     * completion on our word), ns and syscalls each. */
    uint32_t at = h->sq_tail, reads = 200, cbase = h->cq_head;
    uint64_t sys0 = vn_sysinfo->syscalls, t0 = vn_clock_ns(), bad = 0;
    for (uint32_t k = 0; k < reads; k++, at++) {
        struct vn_blk_req r = {.id = 9000 + k, .op = VN_BLK_READ, .npages = 1, .extent = client,
                               .block = (k % 64) * 8, .nblocks = 8, .pages = dc};
        memcpy((void *)&sq[at % NSLOTS], &r, sizeof(r));
        __atomic_store_n(&h->sq_tail, at + 1, __ATOMIC_RELEASE);
        uint64_t id = 0;
        bad += call(client, BLKD_DOORBELL, qid, 0, 0, -1, res) != 1 ||
               completion(h, cq, cbase + k, (capref_t)w, &id) != 0 || id != r.id;
    }
    uint64_t ns = (vn_clock_ns() - t0) / reads, calls = vn_sysinfo->syscalls - sys0;
    EXPECT(bad == 0, "%lu timed reads failed", bad);
    printf("blkd_sup: through blkd: %u reads of 4 KiB, %lu ns each, %lu.%02lu syscalls each\n", reads, ns,
           calls / reads, calls * 100 / reads % 100);
}

/* Start blkd (mode 0, or 1: BLKD_EVIL) on dev; *ep gets its endpoint. */
static capref_t blkd_start(capref_t dev, uint64_t mode, capref_t *ep)
{
    capref_t drv = vn_spawn_share_stopped("blkd", CHILD_QUOTA, mode, 0, dev, CR_ALL, 0);
    long e = drv < 0 ? drv : vn_ipc_endpoint(drv);
    EXPECT(e > 0 && vn_env_start(drv) == 0, "spawn blkd (mode %lu): %ld", mode, e);
    *ep = e > 0 ? (capref_t)e : -1;
    return drv;
}

/* A client's endpoint: an extent of count blocks minted on ep. */
static capref_t extent(capref_t ep, uint64_t count, uint64_t *badge)
{
    uint64_t res[4];
    long r = ep > 0 ? call(ep, BLKD_EXTENT, 0, count, CR_READ | CR_WRITE, -1, res) : -E_BADCAP;
    long c = r == 0 ? vn_ipc_badge(ep, res[1], CR_WRITE | CR_GRANT) : r;
    EXPECT(c > 0, "extent: %ld", c);
    *badge = res[1];
    return c > 0 ? (capref_t)c : -1;
}

/* extfs_veneer as a client of the extent behind client; its status. */
static int run_fs(capref_t client)
{
    capref_t c = client > 0 ? vn_spawn_share("extfs_veneer", CHILD_QUOTA, 0, 0, client, CR_WRITE) : -1;
    return c > 0 ? vn_wait(c) : -2;
}

int main(void)
{
    capref_t dev = -1, ep;
    struct vn_devinfo di;
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++)
        if (vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di) == 0 && di.class == 1 && di.subclass == 8) {
            dev = (capref_t)(VN_CAP_DEV_FIRST + i);
            break;
        }
    EXPECT(vn_sysinfo->nblk == 0, "the kernel drives a disk: boot with blk=user");
    EXPECT(dev > 0, "no NVMe controller");
    if (dev <= 0)
        return 1;
    capref_t drv = blkd_start(dev, 0, &ep);
    uint64_t res[4], badge;
    long r = ep > 0 ? call(ep, BLKD_INFO, 0, 0, 0, -1, res) : -E_BADCAP;
    uint64_t count = res[3];
    EXPECT(r == 0 && count > 0, "namespace size: %ld", r);
    capref_t client = extent(ep, count, &badge);
    if (client <= 0)
        return 1;
    printf("blkd_sup: blkd serves %lu blocks; the client's extent is badge %lu\n", count, badge);
    hostile(ep, client, count);
    struct vn_capinfo ci;
    EXPECT(vn_cap_info(drv, &ci) == 0 && ci.env_status == 1, "blkd died under the hostile client");
    /* The client revokes its ring under blkd's feet (every copy derived
     * from it goes, with blkd's mapping), then rings: blkd may fault, but
     * only blkd; a new instance is started below either way. */
    vn_cap_revoke(ring_cap);
    long rr = call(client, BLKD_DOORBELL, ring_qid, 0, 0, -1, res);
    uint64_t until = vn_clock_ns() + 2000000000ull;
    while (vn_cap_info(drv, &ci) == 0 && ci.env_status == 1 && vn_clock_ns() < until)
        vn_env_wait(10000000ull, NULL, 0, VN_WAIT_NONE);
    printf("blkd_sup: ring revoked under blkd: doorbell %ld, blkd %s\n", rr,
           ci.env_status == 1 ? "still alive" : "dead (only blkd)");
    /* A hostile driver on the same controller (one holder at a time). */
    vn_kill(drv);
    vn_wait(drv);
    capref_t evil = blkd_start(dev, 1, &ep);
    int st = run_fs(extent(ep, count, &badge));
    EXPECT(st == 1, "extfs_veneer over a hostile blkd: status %d, want 1 (failed cleanly)", st);
    printf("blkd_sup: a hostile driver: its client failed cleanly (status %d)\n", st);
    vn_kill(evil);
    vn_wait(evil);
    /* A good instance again, and the unchanged file-system test over it. */
    drv = blkd_start(dev, 0, &ep);
    st = run_fs(extent(ep, count, &badge));
    EXPECT(st == 0, "extfs_veneer over blkd: status %d", st);
    EXPECT(vn_cap_info(drv, &ci) == 0 && ci.env_status == 1, "blkd died");
    printf("blkd_sup: %s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
