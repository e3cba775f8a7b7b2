/*
 * The block multiplexer: the disks the kernel drives (drivers/blkdev.h)
 * shared among libOSes by extent capabilities, with request queues over
 * rings of the libOS's own pages (see <veneer/blk.h>, docs/storage.md).
 * Mechanism only; the syscall glue is sys_blk.c.  All under the kernel
 * lock; completions arrive from the driver's interrupt callback.
 */
#ifndef KERNEL_BLK_H
#define KERNEL_BLK_H

#include <veneer/blk.h>
#include "cap.h"

struct env;
struct notify;

#define BLKQ_MAX     16         /* queues open at once, machine-wide */
#define BLKQ_PER_ENV 4

/* Boot, after the drivers probed: a kernel-held root extent per namespace,
 * the device's I/O page tables for the request windows made. */
void blk_init(void);
/* Give e (the first environment) every root extent, in consecutive slots;
 * returns the first (-1: no disk) and their number in *n. */
int blk_grant_boot(struct env *e, uint64_t *n);
/* Describe extent c into *out. */
void blk_info(const struct cap *c, struct vn_blkinfo *out);
/* A child of extent c in e's table naming blocks [off, off + n) of it with
 * rights (a subset of c's).  Errors: -E_PERM (rights), -E_INVAL (n 0),
 * -E_RANGE (outside c), -E_BUSY (overlaps requests of a revoked extent
 * still in the device), -E_NOSPC, -E_NOMEM. */
int blk_derive(struct env *e, struct cap *c, uint64_t off, uint64_t n, unsigned rights, capref_t *out);
/* Open a request queue for e on extent c's disk over ring pages (CR_WRITE,
 * not kernel memory) signalling notify with bits; its in-flight table
 * (one page) is charged to e.  Errors: -E_INVAL (shape, ring too small or
 * kernel memory, bits), -E_NOSPC (BLKQ_MAX or BLKQ_PER_ENV), -E_QUOTA,
 * -E_NOMEM, -E_NODEV (the disk stopped). */
int blk_queue_open(struct env *e, struct cap *c, struct cap *ring, struct notify *notify, uint64_t bits,
                   uint32_t nslots, uint32_t inflight, capref_t *out);
/* Take the new requests of queue capability c (at most its ring's size
 * from it; others' waiting requests in round-robin); returns how many of
 * c's were taken.  Errors: -E_NOENT (the queue was closed). */
long blk_doorbell(struct cap *c);
/* Release hook of CAP_BLK and CAP_BLKQ.  An extent's in-flight requests
 * become orphans (they complete; their blocks stay busy until then); a
 * queue stops taking requests and is freed once its last one completed. */
void blk_cap_release(struct cap *c);
/* Notification word n is going: its queues stop signalling. */
void blk_notify_gone(struct notify *n);
/* Count the page references blk holds (rings, pinned data) into counted[pfn]. */
void blk_audit_refs(uint32_t *counted);

#endif
