/*
 * The write log (crash testing only, like Linux's dm-log-writes): with
 * `blklog=<serial>` on the boot command line, the NVMe controller with
 * that serial is not offered as a disk but becomes a raw log, and every
 * write (FUA marked) and flush the other controller completes on its first
 * namespace is appended to it, in completion order, before the request's
 * submitter hears of it.  tools/crash_replay.py rebuilds images from it.
 *
 *   log disk: record 0 | record 1 | ...        (no gaps; zeroes end it)
 *   record:   header block, then the data in whole log blocks
 *   header:   "VNBLKLOG", type, flags, seq, lba, nblocks, block_size, nsid
 *
 * The data is written before its header, each synchronously, so a header
 * read back means its data is there too (a cut ends the log cleanly).
 * Each flush and FUA write also prints a serial line with its record
 * number ("blklog: flush F at record R", "blklog: fua at record R"), so
 * the host orders the workload's own lines against the log.
 * Only the command line turns it on: no libOS can, and with it off every
 * hook returns at once.
 */
#ifndef DRIVERS_NVME_LOG_H
#define DRIVERS_NVME_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct nvme_ctrl;
struct drv_dev;

#define NVME_LOG_MAGIC "VNBLKLOG"
#define NVME_LOG_WRITE 1
#define NVME_LOG_FLUSH 2
#define NVME_LOG_FUA   1u           /* flags: the write was FUA */

struct nvme_log_hdr {
    char magic[8];
    uint32_t type, flags;
    uint64_t seq;                   /* 0, 1, 2, ... */
    uint64_t lba;
    uint32_t nblocks, block_size;   /* of the logged namespace */
    uint32_t nsid, rsvd;
};

/* Whether the controller with this Identify serial (20 bytes, space
 * padded) is the log disk named on the command line. */
bool nvme_log_is_log_disk(const uint8_t serial[20]);
/* Use n (I/O queue pair up, not registered as a disk) as the log, whose
 * namespace 1 has blocks of block_size bytes.  Errors: -E_NOMEM. */
int nvme_log_attach(struct nvme_ctrl *n, struct drv_dev *d, uint32_t block_size, uint64_t blocks);
/* A completed write (the data still mapped at iova for src) or flush of
 * namespace nsid of another controller: appended to the log if it is on. */
void nvme_log_write(struct nvme_ctrl *src, struct drv_dev *d, uint32_t nsid, uint64_t lba, uint32_t nblocks,
                    uint32_t block_size, uint64_t iova, bool fua);
void nvme_log_flush(struct nvme_ctrl *src, uint32_t nsid);

/* nvme.c's: one I/O command on n's queue pair, polled to completion
 * (bounded).  Errors: -E_TIMEOUT, -E_IO, -E_NODEV. */
int nvme_io_sync(struct nvme_ctrl *n, uint8_t opcode, uint64_t lba, uint32_t nblocks, uint64_t iova);

#endif
