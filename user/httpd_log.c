/*
 * The web server's access log: an append-only record log of its own
 * format on a disk extent of its own (a CAP_BLK, or a badged endpoint to
 * a user-level driver environment: lib/libveneer/blk_home.c), next to the POSIX
 * instance's ext4 on another extent of the same namespace.  The kernel
 * checks every request against the extent; this file is the web server's
 * whole "file system".
 *
 *   block 0        struct weblog_hdr: magic, version, block size, blocks,
 *                  record size, boots (rewritten, FUA, at each open)
 *   block 1 ..     struct weblog_rec (128 bytes) one after another,
 *                  block_size / 128 to a block; seq 1, 2, 3, ...
 *
 * A record is durable when httpd_log_append returns: its block is written
 * with FUA (the device has a volatile cache), so a power cut loses at most
 * the request being answered.  The log ends at the first record whose
 * magic or sequence number is not the next one (a torn or never-written
 * record), so a new boot appends after the last durable record; records
 * are never rewritten except within the last, partly filled block (whose
 * earlier records are rewritten with the same bytes).
 *
 * One synchronous request at a time on a queue of our own (the web server
 * logs after it answered; a record costs one FUA write).  At open the
 * extent is scanned in requests of up to SCAN_PAGES pages.
 */
#include <blk_home.h>
#include <libveneer.h>
#include <vn.h>
#include <veneer/blk.h>

#include "httpd_log.h"

#define NSLOTS     4
#define SCAN_PAGES 64                   /* the data buffer: one request of up to 256 KiB */
#define WAIT_NS    5000000000ull        /* a request not completed in this is an error */

static struct {
    capref_t ext, ep, q, word, data_cap;   /* ep: a driver environment's endpoint (ext), or -1 */
    uint64_t epoch;                     /* of the driver environment's instance */
    volatile struct vn_blkq_hdr *h;
    volatile struct vn_blk_req *sq;
    volatile struct vn_blk_cpl *cq;
    uint8_t *data;                      /* SCAN_PAGES pages; page 0 holds the block being appended to */
    uint32_t bs, per_block;             /* block size; records per block */
    uint64_t blocks, next;              /* extent blocks; index of the next record */
    uint32_t seq;                       /* of the last record */
    uint64_t id;
    bool open, full;
} lg = {.q = -1};

/* npages fresh writable pages, mapped; their capability in *cap. */
static uint8_t *pages_new(uint64_t npages, capref_t *cap)
{
    long p = vn_page_alloc(CAP_SELF, 0, npages);
    if (p < 0)
        return NULL;
    uint64_t va = vn_va_reserve(npages);
    struct vn_map_entry m[SCAN_PAGES];
    for (uint64_t i = 0; i < npages; i++)
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, (capref_t)p, VM_PROT_WRITE, i};
    if (vn_page_map(CAP_SELF, m, npages) != (long)npages) {
        vn_cap_delete((capref_t)p);
        return NULL;
    }
    *cap = (capref_t)p;
    return (uint8_t *)va;
}

/* One request on blocks [blk, blk + n) of the extent (n = 0: a flush),
 * data from page 0 of the buffer, waited for.  Returns the completion's
 * status (0 or a negative E_*), or -E_TIMEOUT. */
static long request(uint8_t op, uint8_t flags, uint64_t blk, uint32_t n)
{
    struct vn_blk_req r = {.id = ++lg.id, .op = op, .flags = flags, .extent = lg.ext, .pages = -1};
    if (op != VN_BLK_FLUSH) {
        r.block = blk;
        r.nblocks = n;
        r.npages = (uint16_t)(((uint64_t)n * lg.bs + PAGE_SIZE - 1) / PAGE_SIZE);
        r.pages = lg.data_cap;
    }
    uint32_t tail = lg.h->sq_tail;
    memcpy((void *)&lg.sq[tail % NSLOTS], &r, sizeof(r));
    __atomic_store_n(&lg.h->sq_tail, tail + 1, __ATOMIC_RELEASE);
    uint64_t until = vn_clock_ns() + WAIT_NS;
    bool ring = true;
    while (__atomic_load_n(&lg.h->cq_head, __ATOMIC_ACQUIRE) == lg.h->cq_tail) {
        if (ring) {
            /* A driver environment's new instance may have lost it: again. */
            uint64_t epoch = lg.epoch;
            uint32_t start = 0;
            long d = blk_home_doorbell(lg.ep, lg.q, &epoch, &start);
            if (d < 0)
                return d;
            if (lg.epoch && epoch != lg.epoch && (int32_t)(tail - start) < 0) {
                tail = lg.h->sq_tail;
                memcpy((void *)&lg.sq[tail % NSLOTS], &r, sizeof(r));
                __atomic_store_n(&lg.h->sq_tail, tail + 1, __ATOMIC_RELEASE);
                lg.epoch = epoch;
                continue;
            }
            lg.epoch = epoch;
        }
        if (vn_clock_ns() > until)
            return -E_TIMEOUT;
        /* Nothing for 100 ms from a driver environment: ring again. */
        ring = vn_notify_wait(lg.word, 100000000ull) == -E_TIMEOUT && lg.ep >= 0;
    }
    volatile struct vn_blk_cpl *c = &lg.cq[lg.h->cq_tail % NSLOTS];
    long status = c->id == r.id ? c->status : -E_INVAL;
    __atomic_store_n(&lg.h->cq_tail, lg.h->cq_tail + 1, __ATOMIC_RELEASE);
    return status;
}

static bool rec_ok(const struct weblog_rec *r, uint32_t seq)
{
    return r->magic == WEBLOG_REC_MAGIC && r->seq == seq;
}

/* Finds the end of the records: lg.next, lg.seq.  Errors: the device's. */
static long scan(void)
{
    uint64_t chunk = (uint64_t)SCAN_PAGES * PAGE_SIZE / lg.bs;
    lg.next = 0;
    lg.seq = 0;
    for (uint64_t b = 1; b < lg.blocks; b += chunk) {
        uint32_t n = (uint32_t)(lg.blocks - b < chunk ? lg.blocks - b : chunk);
        long r = request(VN_BLK_READ, 0, b, n);
        if (r)
            return r;
        for (uint64_t i = 0; i < (uint64_t)n * lg.per_block; i++) {
            if (!rec_ok((const struct weblog_rec *)(lg.data + i * WEBLOG_REC_SIZE), lg.seq + 1))
                return 0;
            lg.next++;
            lg.seq++;
        }
    }
    lg.full = true;
    return 0;
}

/* Requests past the extent's end (inside the namespace's other owners'
 * blocks, or past it) must come back refused; nothing reaches the disk.
 * Returns 0, or -E_PERM if the kernel accepted one. */
static long probe_bounds(void)
{
    memset(lg.data, 0xee, PAGE_SIZE);
    long a = request(VN_BLK_READ, 0, lg.blocks, 1);
    long b = request(VN_BLK_WRITE, VN_BLK_FUA, lg.blocks, 1);
    long c = request(VN_BLK_WRITE, 0, lg.blocks - 1, 2);
    long d = request(VN_BLK_WRITE, 0, ~0ull - 1, 2);
    printf("httpd: log: past our extent: read %s, write %s, straddling write %s, wrapping write %s\n",
           vn_strerror(a), vn_strerror(b), vn_strerror(c), vn_strerror(d));
    return a < 0 && b < 0 && c < 0 && d < 0 && a != -E_TIMEOUT && b != -E_TIMEOUT ? 0 : -E_PERM;
}

/* Contract in httpd_log.h. */
long httpd_log_open(capref_t ext)
{
    struct vn_blkinfo bi;
    capref_t ring_cap;
    long r = blk_home_info(ext, &lg.ep, &bi);
    if (r < 0)
        return r;
    if (bi.block_size < WEBLOG_REC_SIZE || bi.block_size > PAGE_SIZE || bi.count < 2)
        return -E_INVAL;
    lg.ext = ext;
    lg.bs = bi.block_size;
    lg.per_block = bi.block_size / WEBLOG_REC_SIZE;
    lg.blocks = bi.count;
    long w = vn_notify_create();
    uint8_t *ring = w < 0 ? NULL : pages_new(VN_BLKQ_PAGES(NSLOTS), &ring_cap);
    lg.data = ring ? pages_new(SCAN_PAGES, &lg.data_cap) : NULL;
    if (!lg.data)
        return w < 0 ? w : -E_NOMEM;
    lg.word = (capref_t)w;
    struct vn_blkq_req qr = {.ring = ring_cap, .notify = lg.word, .bits = 1, .nslots = NSLOTS, .inflight = 1};
    long q = blk_home_queue(ext, lg.ep, lg.data_cap, &qr);
    if (q < 0)
        return q;
    lg.q = (capref_t)q;
    lg.h = (volatile struct vn_blkq_hdr *)ring;
    lg.sq = (volatile struct vn_blk_req *)(ring + PAGE_SIZE);
    lg.cq = (volatile struct vn_blk_cpl *)(ring + 2 * PAGE_SIZE);
    if ((r = probe_bounds()))
        return r;
    if ((r = request(VN_BLK_READ, 0, 0, 1)))
        return r;
    struct weblog_hdr hd;
    memcpy(&hd, lg.data, sizeof(hd));
    bool ours = memcmp(hd.magic, WEBLOG_MAGIC, 8) == 0 && hd.version == WEBLOG_VERSION &&
                hd.block_size == lg.bs && hd.blocks == lg.blocks && hd.rec_size == WEBLOG_REC_SIZE;
    if (ours) {
        if ((r = scan()))
            return r;
    } else {
        hd = (struct weblog_hdr){.version = WEBLOG_VERSION, .block_size = lg.bs, .blocks = lg.blocks,
                                 .rec_size = WEBLOG_REC_SIZE};
        memcpy(hd.magic, WEBLOG_MAGIC, 8);
        memset(lg.data, 0, lg.bs);      /* a new log: block 1 must not hold a stale record 1 */
        if ((r = request(VN_BLK_WRITE, 0, 1, 1)))
            return r;
        lg.next = lg.seq = 0;
    }
    hd.boots++;
    memset(lg.data, 0, lg.bs);
    memcpy(lg.data, &hd, sizeof(hd));
    if ((r = request(VN_BLK_WRITE, VN_BLK_FUA, 0, 1)))
        return r;
    /* page 0: the block the next record goes into, as it is on the disk */
    uint64_t blk = 1 + lg.next / lg.per_block;
    memset(lg.data, 0, lg.bs);
    if (!lg.full && lg.next % lg.per_block && (r = request(VN_BLK_READ, 0, blk, 1)))
        return r;
    lg.open = true;
    printf("httpd: log: %lu records on extent [%lu, +%lu) of namespace %u (boot %u of this log)\n",
           (unsigned long)lg.next, (unsigned long)bi.base, (unsigned long)bi.count, bi.nsid, hd.boots);
    return (long)lg.next;
}

/* Contract in httpd_log.h. */
long httpd_log_append(uint32_t peer, int method, const char *path, uint64_t path_len, int status,
                      uint64_t bytes)
{
    if (!lg.open)
        return -E_INVAL;
    uint64_t blk = 1 + lg.next / lg.per_block;
    if (lg.full || blk >= lg.blocks) {
        lg.full = true;
        return -E_NOSPC;
    }
    uint32_t at = (uint32_t)(lg.next % lg.per_block);
    if (at == 0)
        memset(lg.data, 0, lg.bs);
    struct weblog_rec rec = {.magic = WEBLOG_REC_MAGIC, .seq = lg.seq + 1,
                             .time_ns = vn_sysinfo->rtc_boot_sec * 1000000000ull + vn_clock_ns(),
                             .peer = peer, .status = (uint16_t)status, .method = (uint16_t)method,
                             .bytes = bytes};
    memcpy(rec.path, path, path_len < WEBLOG_PATH_MAX - 1 ? path_len : WEBLOG_PATH_MAX - 1);
    memcpy(lg.data + (uint64_t)at * WEBLOG_REC_SIZE, &rec, sizeof(rec));
    long r = request(VN_BLK_WRITE, VN_BLK_FUA, blk, 1);
    if (r == 0) {
        lg.next++;
        lg.seq++;
    }
    return r;
}
