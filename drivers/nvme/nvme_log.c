/*
 * The NVMe write log (format and contract in nvme_log.h).  State: the log
 * controller, a bounce buffer the log controller may read, the next free
 * log block and the next sequence number.  Every append copies the
 * request's data out of its (still mapped, still pinned) pages through
 * drv_dma_peek into the bounce buffer, writes it, then the header, each
 * polled to completion on the log controller: slow, but ordered, and only
 * in log mode.  A failed log write turns the log off for good (logged):
 * the harness then sees a short log, never a wrong one.
 */
#include <veneer/errors.h>
#include "drv.h"
#include "nvme.h"
#include "nvme_log.h"

#define LOG_BUF_PAGES DRV_DMA_MAX_PAGES

static struct {
    struct nvme_ctrl *log;          /* NULL: log mode off */
    struct drv_dev *dev;
    struct drv_dma buf, hdr;
    uint32_t bs;                    /* log block size */
    uint64_t blocks, pos, seq, flushes;
    struct nvme_ctrl *src;          /* the logged controller: the first to complete a write */
} lg;

bool nvme_log_is_log_disk(const uint8_t serial[20])
{
    char want[24];
    if (!drv_cmdline_get("blklog", want, sizeof(want)) || !want[0])
        return false;
    unsigned i = 0;
    for (; i < 20 && want[i]; i++)
        if ((char)serial[i] != want[i])
            return false;
    for (; i < 20; i++)
        if (serial[i] != ' ' && serial[i] != 0)
            return false;
    return !want[i];
}

int nvme_log_attach(struct nvme_ctrl *n, struct drv_dev *d, uint32_t block_size, uint64_t blocks)
{
    int r;
    if ((r = drv_dma_alloc(d, LOG_BUF_PAGES * DRV_PAGE, &lg.buf)) < 0)
        return r;
    if ((r = drv_dma_alloc(d, DRV_PAGE, &lg.hdr)) < 0) {
        drv_dma_free(d, &lg.buf);
        return r;
    }
    lg.dev = d, lg.bs = block_size, lg.blocks = blocks, lg.log = n;
    drv_log(d, "blklog: write log on, %lu blocks of %u bytes", (unsigned long)blocks, block_size);
    return 0;
}

static void log_off(const char *why)
{
    drv_log(lg.dev, "blklog: %s: log off at record %lu", why, (unsigned long)lg.seq);
    lg.log = NULL;
}

/* Append blocks of bounce data then the header.  false: the log is off. */
static bool log_put(uint64_t at, uint32_t bytes, uint64_t iova)
{
    uint32_t nb = (bytes + lg.bs - 1) / lg.bs;
    if (at + nb > lg.blocks) {
        log_off("log disk full");
        return false;
    }
    if (nvme_io_sync(lg.log, NVME_CMD_WRITE, at, nb, iova) < 0) {
        log_off("log write failed");
        return false;
    }
    return true;
}

static bool src_ok(struct nvme_ctrl *src)
{
    if (!lg.log || src == lg.log)
        return false;
    if (!lg.src)
        lg.src = src;
    return src == lg.src;
}

static void put_header(uint32_t type, uint32_t flags, uint32_t nsid, uint64_t lba, uint32_t nblocks,
                       uint32_t block_size, uint64_t at)
{
    struct nvme_log_hdr *h = lg.hdr.va;
    for (unsigned i = 0; i < DRV_PAGE; i++)
        ((uint8_t *)lg.hdr.va)[i] = 0;
    for (unsigned i = 0; i < 8; i++)
        h->magic[i] = NVME_LOG_MAGIC[i];
    h->type = type, h->flags = flags, h->seq = lg.seq, h->lba = lba;
    h->nblocks = nblocks, h->block_size = block_size, h->nsid = nsid;
    if (log_put(at, sizeof(*h), lg.hdr.iova))
        lg.seq++;
}

void nvme_log_write(struct nvme_ctrl *src, struct drv_dev *d, uint32_t nsid, uint64_t lba, uint32_t nblocks,
                    uint32_t block_size, uint64_t iova, bool fua)
{
    if (!src_ok(src))
        return;
    uint64_t bytes = (uint64_t)nblocks * block_size, hdr_at = lg.pos, at = lg.pos + 1;
    for (uint64_t off = 0; off < bytes;) {
        uint64_t n = 0;
        for (; n < lg.buf.len && off + n < bytes; n += DRV_PAGE) {
            const uint8_t *p = drv_dma_peek(d, iova + off + n);
            if (!p) {
                log_off("write data not visible");
                return;
            }
            uint64_t k = bytes - off - n < DRV_PAGE ? bytes - off - n : DRV_PAGE;
            for (uint64_t i = 0; i < k; i++)
                ((uint8_t *)lg.buf.va)[n + i] = p[i];
        }
        if (n > bytes - off)
            n = bytes - off;
        if (!log_put(at, (uint32_t)n, lg.buf.iova))
            return;
        at += (n + lg.bs - 1) / lg.bs;
        off += n;
    }
    put_header(NVME_LOG_WRITE, fua ? NVME_LOG_FUA : 0, nsid, lba, nblocks, block_size, hdr_at);
    if (!lg.log)
        return;
    lg.pos = at;
    if (fua)
        drv_log(lg.dev, "blklog: fua at record %lu", (unsigned long)lg.seq - 1);
}

void nvme_log_flush(struct nvme_ctrl *src, uint32_t nsid)
{
    if (!src_ok(src))
        return;
    put_header(NVME_LOG_FLUSH, 0, nsid, 0, 0, 0, lg.pos);
    if (!lg.log)
        return;
    lg.pos++;
    drv_log(lg.dev, "blklog: flush %lu at record %lu", (unsigned long)lg.flushes++, (unsigned long)lg.seq - 1);
}
