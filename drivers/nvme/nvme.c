/*
 * NVMe over PCIe (QEMU's nvme, 1b36:0010), written against drivers/drv.h
 * alone, with the kernel's blkdev.h above it, so that it can move to a
 * user-level home (and serve as the SR-IOV physical function's driver).
 *
 *   probe: CC.EN off (wait CSTS.RDY 0), admin queue (AQA/ASQ/ACQ), CC.EN on
 *          (wait RDY 1, both bounded by CAP.TO), Identify controller (VWC,
 *          MDTS, NN), active namespace list and each namespace (LBA
 *          format, size), Set Features (one I/O queue pair), I/O CQ 1 on
 *          MSI-X vector 1, I/O SQ 1; then the blkdev is registered running
 *   submit: a free command slot, the SQE (PRP1, PRP2 or the slot's PRP
 *          list page), the SQ tail doorbell
 *   interrupt: every new CQE (phase tag) completes its slot's request;
 *          CQ head doorbell; drv_irq_ack
 *
 * The admin queue is polled (nvme_admin_cmd, every wait bounded) and its
 * vector 0 left unbound; it serves probe and, later, the PF's management
 * commands.  I/O: one queue pair of IOQ_DEPTH entries with IO_SLOTS
 * commands in flight at most; a slot's command id is its index, and each
 * slot owns one PRP list page (a request is at most BLKDEV_PAGES_MAX
 * pages, so one list always suffices).
 *
 * The device is not trusted with the driver's state: a completion for a
 * slot not in flight, or a fatal status (CSTS.CFS), stops the controller
 * for good: logged once, cut off (drv_quiesce), every request in flight
 * completed with -E_NODEV.  The home serialises every entry (probe,
 * submit, the interrupt callback), which guards nvmes.
 */
#include <veneer/errors.h>
#include "blkdev.h"
#include "drv.h"
#include "nvme.h"
#include "nvme_log.h"

#define NVME_MAX   2
#define AQ_DEPTH   32               /* admin queue entries */
#define IOQ_DEPTH  64               /* I/O SQ and CQ entries (a page each at most) */
#define IO_SLOTS   32               /* I/O commands in flight (< IOQ_DEPTH: the SQ never fills) */
#define IO_VECTOR  1                /* MSI-X vector of the I/O completion queue */
#define PRP_CHUNKS (IO_SLOTS / DRV_DMA_MAX_PAGES)
#define NS_LIST    1024             /* ids in an active namespace list */

struct nvme_queue {
    struct drv_dma sq, cq;
    uint16_t qid, depth;
    uint16_t sq_tail, cq_head;
    uint8_t phase;                  /* the phase tag a new CQE carries */
};

struct nvme_ctrl {
    struct drv_dev *dev;
    struct blkdev bd;
    volatile uint8_t *regs;
    uint64_t cap;
    uint32_t stride;                /* doorbell stride, bytes */
    bool broken;
    bool is_log;                    /* the write log's disk (nvme_log.h), not a blkdev */
    uint16_t admin_cid;
    uint16_t admin_status;          /* the last admin command's */
    uint16_t io_vector;             /* IO_VECTOR, or 0 on a function with one vector */
    struct nvme_queue aq, ioq;
    struct drv_dma ident;           /* one page: Identify data */
    struct drv_dma prp[PRP_CHUNKS]; /* slot i's PRP list: page i */
    struct blkdev_req *slot[IO_SLOTS];
    uint16_t nfree, free[IO_SLOTS];
};

static struct {
    unsigned n;
    struct nvme_ctrl c[NVME_MAX];
} nvmes;

static struct nvme_ctrl *nvme_of(struct blkdev *bd)
{
    return (struct nvme_ctrl *)((char *)bd - offsetof(struct nvme_ctrl, bd));
}

static uint32_t rd32(struct nvme_ctrl *n, unsigned off) { return *(volatile uint32_t *)(n->regs + off); }
static void wr32(struct nvme_ctrl *n, unsigned off, uint32_t v) { *(volatile uint32_t *)(n->regs + off) = v; }
static void wr64(struct nvme_ctrl *n, unsigned off, uint64_t v)
{
    wr32(n, off, (uint32_t)v);
    wr32(n, off + 4, (uint32_t)(v >> 32));
}

static void sq_doorbell(struct nvme_ctrl *n, struct nvme_queue *q)
{
    drv_barrier();
    wr32(n, NVME_DOORBELLS + (2u * q->qid) * n->stride, q->sq_tail);
}

static void cq_doorbell(struct nvme_ctrl *n, struct nvme_queue *q)
{
    wr32(n, NVME_DOORBELLS + (2u * q->qid + 1) * n->stride, q->cq_head);
}

/* Wait until (CSTS & mask) == want, at most CAP.TO (500 ms units, at
 * least one).  Errors: -E_TIMEOUT, -E_NODEV (controller fatal status). */
static int wait_csts(struct nvme_ctrl *n, uint32_t mask, uint32_t want)
{
    uint64_t end = drv_time_us() + (NVME_CAP_TO(n->cap) ? NVME_CAP_TO(n->cap) : 1) * 500000ull;
    for (;;) {
        uint32_t s = rd32(n, NVME_REG_CSTS);
        if (s == 0xffffffffu || (want && (s & NVME_CSTS_CFS)))
            return -E_NODEV;
        if ((s & mask) == want)
            return 0;
        if (drv_time_us() > end)
            return -E_TIMEOUT;
    }
}

/* Stop a controller that broke the rules: once logged, cut off, every
 * request in flight failed with -E_NODEV. */
static void nvme_broken(struct nvme_ctrl *n, const char *why)
{
    if (n->broken)
        return;
    drv_log(n->dev, "device misbehaves (%s): stopped", why);
    n->broken = true;
    n->bd.running = false;
    wr32(n, NVME_REG_CC, 0);
    drv_quiesce(n->dev);
    for (unsigned i = 0; i < IO_SLOTS; i++) {
        struct blkdev_req *r = n->slot[i];
        if (!r)
            continue;
        n->slot[i] = NULL;
        n->free[n->nfree++] = (uint16_t)i;
        n->bd.completed++;
        n->bd.failed++;
        r->done(r, -E_NODEV);
    }
}

/* The next CQE of q if the device has posted it (phase tag), else NULL. */
static volatile struct nvme_cqe *cq_peek(struct nvme_queue *q)
{
    volatile struct nvme_cqe *e = (volatile struct nvme_cqe *)q->cq.va + q->cq_head;
    if (NVME_CQE_PHASE(e->status) != q->phase)
        return NULL;
    drv_barrier();
    return e;
}

static void cq_advance(struct nvme_queue *q)
{
    if (++q->cq_head == q->depth) {
        q->cq_head = 0;
        q->phase ^= 1;
    }
}

static void sq_put(struct nvme_queue *q, const struct nvme_sqe *cmd)
{
    ((struct nvme_sqe *)q->sq.va)[q->sq_tail] = *cmd;
    q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
}

int nvme_admin_cmd(struct nvme_ctrl *n, struct nvme_sqe *cmd, uint32_t *dw0)
{
    if (n->broken)
        return -E_NODEV;
    cmd->cid = n->admin_cid++;
    sq_put(&n->aq, cmd);
    sq_doorbell(n, &n->aq);
    uint64_t end = drv_time_us() + NVME_ADMIN_TIMEOUT_MS * 1000ull;
    volatile struct nvme_cqe *e;
    while (!(e = cq_peek(&n->aq)))
        if (drv_time_us() > end) {
            drv_log(n->dev, "admin command %#x: no completion in %u ms", cmd->opcode, NVME_ADMIN_TIMEOUT_MS);
            return -E_TIMEOUT;
        }
    uint16_t cid = e->cid, status = NVME_CQE_STATUS(e->status);
    if (dw0)
        *dw0 = e->dw0;
    cq_advance(&n->aq);
    cq_doorbell(n, &n->aq);
    if (cid != cmd->cid) {
        nvme_broken(n, "admin completion for another command");
        return -E_NODEV;
    }
    n->admin_status = status & 0x7ff;
    if (status) {
        drv_log(n->dev, "admin command %#x failed: status %#x", cmd->opcode, status);
        return -E_IO;
    }
    return 0;
}

uint16_t nvme_admin_status(const struct nvme_ctrl *n)
{
    return n->admin_status;
}

struct nvme_ctrl *nvme_ctrl_of(struct blkdev *bd)
{
    return nvme_of(bd);
}

static int queue_alloc(struct nvme_ctrl *n, struct nvme_queue *q, uint16_t qid, uint16_t depth)
{
    *q = (struct nvme_queue){.qid = qid, .depth = depth, .phase = 1};
    int r = drv_dma_alloc(n->dev, depth * sizeof(struct nvme_sqe), &q->sq);
    if (r == 0 && (r = drv_dma_alloc(n->dev, depth * sizeof(struct nvme_cqe), &q->cq)) < 0)
        drv_dma_free(n->dev, &q->sq);
    return r;
}

static int identify(struct nvme_ctrl *n, unsigned cns, uint32_t nsid)
{
    struct nvme_sqe c = {.opcode = NVME_ADM_IDENTIFY, .nsid = nsid, .prp1 = n->ident.iova, .cdw10 = cns};
    return nvme_admin_cmd(n, &c, NULL);
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Reset, then enable with the admin queue.  Errors: -E_TIMEOUT, -E_NODEV. */
static int ctrl_enable(struct nvme_ctrl *n)
{
    int r;
    wr32(n, NVME_REG_CC, 0);
    if ((r = wait_csts(n, NVME_CSTS_RDY, 0)) < 0)
        return r;
    wr32(n, NVME_REG_AQA, (uint32_t)(AQ_DEPTH - 1) << 16 | (AQ_DEPTH - 1));
    wr64(n, NVME_REG_ASQ, n->aq.sq.iova);
    wr64(n, NVME_REG_ACQ, n->aq.cq.iova);
    wr32(n, NVME_REG_CC, NVME_CC_EN | NVME_CC_IOSQES | NVME_CC_IOCQES);
    return wait_csts(n, NVME_CSTS_RDY, NVME_CSTS_RDY);
}

/* Identify the controller and its namespaces (those with 512..4096-byte
 * blocks and no metadata, BLKDEV_NS_MAX at most).  Errors: the admin
 * command's, -E_NODEV (no usable namespace). */
static int identify_all(struct nvme_ctrl *n)
{
    const uint8_t *id = n->ident.va;
    int r;
    if ((r = identify(n, NVME_CNS_CTRL, 0)) < 0)
        return r;
    n->bd.volatile_cache = id[NVME_IDC_VWC] & 1;
    n->is_log = nvme_log_is_log_disk(id + NVME_IDC_SN);
    unsigned mdts = id[NVME_IDC_MDTS];
    n->bd.max_pages = mdts && mdts < 6 ? (uint16_t)(1u << mdts) : BLKDEV_PAGES_MAX;
    char model[41];
    unsigned len = 0;
    for (unsigned i = 0; i < 40; i++)
        if ((model[i] = (char)id[NVME_IDC_MN + i]) != ' ')
            len = i + 1;
    model[len] = 0;
    uint32_t nn = le32(id + NVME_IDC_NN);
    if ((r = identify(n, NVME_CNS_ACTIVE_NS, 0)) < 0)
        return r;
    uint32_t nsids[BLKDEV_NS_MAX];
    unsigned k = 0;
    for (unsigned i = 0; i < NS_LIST && k < BLKDEV_NS_MAX && le32(id + 4 * i); i++)
        nsids[k++] = le32(id + 4 * i);
    for (unsigned i = 0; i < k; i++) {
        if ((r = identify(n, NVME_CNS_NS, nsids[i])) < 0)
            return r;
        const uint8_t *f = id + NVME_IDN_LBAF + 4 * (id[NVME_IDN_FLBAS] & 0xf);
        unsigned lbads = f[2], ms = f[0] | f[1] << 8;
        uint64_t blocks = le64(id + NVME_IDN_NSZE);
        if (ms || lbads < 9 || lbads > 12 || !blocks) {
            drv_log(n->dev, "namespace %u: blocks of 2^%u bytes with %u metadata bytes: not used", nsids[i],
                    lbads, ms);
            continue;
        }
        n->bd.ns[n->bd.nns++] = (struct blkdev_ns){.nsid = nsids[i], .block_size = 1u << lbads, .blocks = blocks};
    }
    drv_log(n->dev, "%s, %u namespaces, %u used, volatile write cache %s, max transfer %u pages", model, nn,
            n->bd.nns, n->bd.volatile_cache ? "present" : "absent", n->bd.max_pages);
    return n->bd.nns ? 0 : -E_NODEV;
}

static void nvme_intr(void *ctx);

/* One I/O queue pair (id 1) whose completions interrupt on IO_VECTOR, or
 * on vector 0 if the function has only that one (an SR-IOV VF in QEMU
 * 7.2: the polled admin queue shares it).  Errors: the admin commands',
 * drv_irq_bind's, -E_NOMEM. */
static int io_queues(struct nvme_ctrl *n)
{
    int r;
    struct nvme_sqe nq = {.opcode = NVME_ADM_SET_FEAT, .cdw10 = NVME_FEAT_NQUEUES, .cdw11 = 0};
    if ((r = nvme_admin_cmd(n, &nq, NULL)) < 0 || (r = queue_alloc(n, &n->ioq, 1, IOQ_DEPTH)) < 0)
        return r;
    n->io_vector = IO_VECTOR;
    if ((r = drv_irq_bind(n->dev, IO_VECTOR, nvme_intr, n)) == -E_INVAL)
        r = drv_irq_bind(n->dev, n->io_vector = 0, nvme_intr, n);
    if (r < 0)
        return r;
    struct nvme_sqe cq = {.opcode = NVME_ADM_CREATE_CQ, .prp1 = n->ioq.cq.iova,
                          .cdw10 = (uint32_t)(IOQ_DEPTH - 1) << 16 | 1, .cdw11 = (uint32_t)n->io_vector << 16 | 3};
    struct nvme_sqe sq = {.opcode = NVME_ADM_CREATE_SQ, .prp1 = n->ioq.sq.iova,
                          .cdw10 = (uint32_t)(IOQ_DEPTH - 1) << 16 | 1, .cdw11 = 1u << 16 | 1};
    if ((r = nvme_admin_cmd(n, &cq, NULL)) < 0 || (r = nvme_admin_cmd(n, &sq, NULL)) < 0)
        return r;
    for (unsigned i = 0; i < PRP_CHUNKS; i++)
        if ((r = drv_dma_alloc(n->dev, DRV_DMA_MAX_PAGES * DRV_PAGE, &n->prp[i])) < 0)
            return r;
    for (unsigned i = 0; i < IO_SLOTS; i++)
        n->free[n->nfree++] = (uint16_t)(IO_SLOTS - 1 - i);
    return 0;
}

static unsigned nvme_room(struct blkdev *bd)
{
    struct nvme_ctrl *n = nvme_of(bd);
    return bd->running ? n->nfree : 0;
}

static int nvme_submit(struct blkdev *bd, struct blkdev_req *r)
{
    struct nvme_ctrl *n = nvme_of(bd);
    if (!bd->running)
        return -E_NODEV;
    if (r->ns >= bd->nns)
        return -E_INVAL;
    const struct blkdev_ns *ns = &bd->ns[r->ns];
    struct nvme_sqe c = {.nsid = ns->nsid};
    if (r->op == BLKDEV_FLUSH) {
        c.opcode = NVME_CMD_FLUSH;
    } else if (r->op == BLKDEV_READ || r->op == BLKDEV_WRITE) {
        uint64_t bytes = (uint64_t)r->nblocks * ns->block_size;
        uint64_t pages = (bytes + DRV_PAGE - 1) / DRV_PAGE;
        if (!r->nblocks || r->nblocks > 0x10000 || pages > r->npages || pages > bd->max_pages ||
            r->lba >= ns->blocks || ns->blocks - r->lba < r->nblocks || r->iova % DRV_PAGE)
            return -E_INVAL;
        c.opcode = r->op == BLKDEV_READ ? NVME_CMD_READ : NVME_CMD_WRITE;
        c.cdw10 = (uint32_t)r->lba;
        c.cdw11 = (uint32_t)(r->lba >> 32);
        c.cdw12 = (r->nblocks - 1) | (r->flags & BLKDEV_FUA ? NVME_RW_FUA : 0);
        c.prp1 = r->iova;
        if (pages == 2)
            c.prp2 = r->iova + DRV_PAGE;    /* more: the slot's PRP list, below */
    } else {
        return -E_INVAL;
    }
    if (!n->nfree)
        return -E_AGAIN;
    uint16_t s = n->free[--n->nfree];
    if (c.opcode != NVME_CMD_FLUSH && (uint64_t)r->nblocks * ns->block_size > 2 * DRV_PAGE) {
        struct drv_dma *chunk = &n->prp[s / DRV_DMA_MAX_PAGES];
        uint64_t *list = (uint64_t *)((uint8_t *)chunk->va + (s % DRV_DMA_MAX_PAGES) * DRV_PAGE);
        uint64_t pages = ((uint64_t)r->nblocks * ns->block_size + DRV_PAGE - 1) / DRV_PAGE;
        for (uint64_t i = 1; i < pages; i++)
            list[i - 1] = r->iova + i * DRV_PAGE;
        c.prp2 = chunk->iova + (s % DRV_DMA_MAX_PAGES) * DRV_PAGE;
    }
    c.cid = s;
    r->slot = s;
    n->slot[s] = r;
    sq_put(&n->ioq, &c);
    sq_doorbell(n, &n->ioq);
    bd->submitted++;
    return 0;
}

int nvme_io_sync(struct nvme_ctrl *n, uint8_t opcode, uint64_t lba, uint32_t nblocks, uint64_t iova)
{
    if (n->broken || !n->nfree)
        return -E_NODEV;
    uint16_t s = n->free[--n->nfree];
    struct nvme_sqe c = {.opcode = opcode, .cid = s, .nsid = n->bd.ns[0].nsid, .prp1 = iova,
                         .cdw10 = (uint32_t)lba, .cdw11 = (uint32_t)(lba >> 32), .cdw12 = nblocks - 1};
    uint64_t bytes = (uint64_t)nblocks * n->bd.ns[0].block_size;
    if (bytes > 2 * DRV_PAGE) {
        struct drv_dma *chunk = &n->prp[s / DRV_DMA_MAX_PAGES];
        uint64_t *list = (uint64_t *)((uint8_t *)chunk->va + (s % DRV_DMA_MAX_PAGES) * DRV_PAGE);
        for (uint64_t i = 1; i < (bytes + DRV_PAGE - 1) / DRV_PAGE; i++)
            list[i - 1] = iova + i * DRV_PAGE;
        c.prp2 = chunk->iova + (s % DRV_DMA_MAX_PAGES) * DRV_PAGE;
    } else if (bytes > DRV_PAGE) {
        c.prp2 = iova + DRV_PAGE;
    }
    sq_put(&n->ioq, &c);
    sq_doorbell(n, &n->ioq);
    uint64_t end = drv_time_us() + NVME_ADMIN_TIMEOUT_MS * 1000ull;
    volatile struct nvme_cqe *e;
    while (!(e = cq_peek(&n->ioq)))
        if (drv_time_us() > end)
            return -E_TIMEOUT;          /* the slot stays taken: the device may still use it */
    uint16_t cid = e->cid, status = NVME_CQE_STATUS(e->status);
    cq_advance(&n->ioq);
    cq_doorbell(n, &n->ioq);
    n->free[n->nfree++] = s;
    if (cid != s) {
        nvme_broken(n, "log completion for another command");
        return -E_NODEV;
    }
    return status ? -E_IO : 0;
}

/* The I/O completion interrupt: complete every request the device
 * finished (each done() may submit more), then unmask. */
static void nvme_intr(void *ctx)
{
    struct nvme_ctrl *n = ctx;
    volatile struct nvme_cqe *e;
    while (!n->broken && (e = cq_peek(&n->ioq))) {
        uint16_t cid = e->cid, status = NVME_CQE_STATUS(e->status);
        cq_advance(&n->ioq);
        cq_doorbell(n, &n->ioq);
        if (cid >= IO_SLOTS || !n->slot[cid]) {
            nvme_broken(n, "completion for a command not in flight");
            return;
        }
        struct blkdev_req *r = n->slot[cid];
        n->slot[cid] = NULL;
        n->free[n->nfree++] = cid;
        n->bd.completed++;
        if (status)
            n->bd.failed++;
        else if (r->op == BLKDEV_WRITE)
            nvme_log_write(n, n->dev, n->bd.ns[r->ns].nsid, r->lba, r->nblocks, n->bd.ns[r->ns].block_size,
                           r->iova, r->flags & BLKDEV_FUA);
        else if (r->op == BLKDEV_FLUSH)
            nvme_log_flush(n, n->bd.ns[r->ns].nsid);
        r->done(r, status ? -E_IO : 0);
    }
    if (!n->broken && (rd32(n, NVME_REG_CSTS) & NVME_CSTS_CFS))
        nvme_broken(n, "controller fatal status");
    if (!n->broken)
        drv_irq_ack(n->dev, n->io_vector);
}

static const struct blkdev_ops nvme_ops = {.room = nvme_room, .submit = nvme_submit};

/* Free what probe allocated (the device reset or cut off first). */
static void nvme_free(struct nvme_ctrl *n)
{
    struct drv_dma *all[] = {&n->aq.sq, &n->aq.cq, &n->ioq.sq, &n->ioq.cq, &n->ident};
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->va)
            drv_dma_free(n->dev, all[i]);
    for (unsigned i = 0; i < PRP_CHUNKS; i++)
        if (n->prp[i].va)
            drv_dma_free(n->dev, &n->prp[i]);
}

/* Bring the controller up and register its blkdev.  Errors: -E_NODEV (not
 * an NVM controller, fatal status, no usable namespace), -E_TIMEOUT,
 * -E_IO, -E_NOMEM, -E_NOSPC and drv_irq_bind's. */
static int nvme_probe(struct drv_dev *d)
{
    if (nvmes.n == NVME_MAX)
        return -E_NOSPC;
    struct nvme_ctrl *n = &nvmes.c[nvmes.n];
    *n = (struct nvme_ctrl){.dev = d};
    uint64_t size;
    int r = drv_bar_map(d, 0, (volatile void **)&n->regs, &size);
    if (r < 0)
        return r;
    if (size < NVME_DOORBELLS + 0x100)
        return -E_NODEV;
    n->cap = rd32(n, NVME_REG_CAP) | (uint64_t)rd32(n, NVME_REG_CAP + 4) << 32;
    n->stride = 4u << NVME_CAP_DSTRD(n->cap);
    if (!NVME_CAP_CSS_NVM(n->cap) || NVME_CAP_MPSMIN(n->cap) != 0 || NVME_CAP_MQES(n->cap) < IOQ_DEPTH - 1) {
        drv_log(d, "CAP %#lx: no NVM command set, 4 KiB pages or %u-entry queues", (unsigned long)n->cap,
                IOQ_DEPTH);
        return -E_NODEV;
    }
    uint32_t cmd = drv_cfg_read(d, DRV_CFG_COMMAND, 2);
    drv_cfg_write(d, DRV_CFG_COMMAND, 2, cmd | DRV_CMD_MEM | DRV_CMD_MASTER | DRV_CMD_INTX_OFF);
    wr32(n, NVME_REG_INTMS, 0xffffffffu);   /* pin interrupts off: MSI-X only */
    n->bd = (struct blkdev){.name = "nvme", .drv = d, .ops = &nvme_ops};
    if ((r = queue_alloc(n, &n->aq, 0, AQ_DEPTH)) < 0 || (r = drv_dma_alloc(d, DRV_PAGE, &n->ident)) < 0 ||
        (r = ctrl_enable(n)) < 0 || (r = identify_all(n)) < 0 || (r = io_queues(n)) < 0 ||
        (n->is_log ? (r = nvme_log_attach(n, d, n->bd.ns[0].block_size, n->bd.ns[0].blocks)) < 0
                   : (r = blkdev_register(&n->bd)) < 0)) {
        drv_log(d, "cannot come up (error %d)", r);
        wr32(n, NVME_REG_CC, 0);
        wait_csts(n, NVME_CSTS_RDY, 0);
        drv_quiesce(d);
        nvme_free(n);
        return r;
    }
    n->bd.running = true;
    nvmes.n++;
    uint32_t vs = rd32(n, NVME_REG_VS);
    drv_log(d, "NVMe %u.%u up: I/O queue pair of %u entries (%u in flight), MSI-X vector %u", vs >> 16,
            (vs >> 8) & 0xff, IOQ_DEPTH, IO_SLOTS, n->io_vector);
    for (unsigned i = 0; i < n->bd.nns; i++)
        drv_log(d, "namespace %u: %lu blocks of %u bytes", n->bd.ns[i].nsid, (unsigned long)n->bd.ns[i].blocks,
                n->bd.ns[i].block_size);
    return 0;
}

const struct drv_driver nvme_driver = {
    .name = "nvme",
    .vendor = 0x1b36,
    .device = 0x0010,
    .probe = nvme_probe,
};
