/*
 * A block extent in either home, for native programs: the kernel's
 * (the extent is a CAP_BLK: blk_info, blk_queue and blk_doorbell are
 * syscalls) or a user-level driver environment's (the extent is a badged
 * endpoint to user/blkd.c, perhaps through user/drvsup.c: the same three
 * are BLKD_INFO + BLKD_WHERE, BLKD_GRANT + BLKD_QUEUE and BLKD_DOORBELL
 * calls, <veneer/blkd.h>).  The ring, its requests and the completion
 * word are the same in both; a program picks nothing.
 */
#ifndef LIBVENEER_BLK_HOME_H
#define LIBVENEER_BLK_HOME_H

#include <stdint.h>
#include <veneer/blk.h>
#include <veneer/syscall.h>

/* blk_info of ext in either home; *ep gets ext if it is a driver
 * environment's endpoint, else -1.  Errors: negative E_* (blk_info's, or
 * the driver's). */
long blk_home_info(capref_t ext, capref_t *ep, struct vn_blkinfo *bi);

/* blk_queue of either home: with a driver environment (ep >= 0) it gets
 * the ring's pages and data's (BLKD_GRANT; data -1: none) and the word
 * (BLKD_QUEUE); requests then name ext as their extent.  Returns the
 * queue (a CAP_BLKQ, or the driver's index).  Errors: negative E_*. */
long blk_home_queue(capref_t ext, capref_t ep, capref_t data, const struct vn_blkq_req *qr);

/* blk_doorbell of either home: requests taken, or a negative E_*.  A
 * driver environment also names its instance in *epoch and where in the
 * ring that instance began taking requests in *start (the kernel: both
 * left as they are); a new epoch means requests before start without a
 * completion were lost and must be submitted again. */
long blk_home_doorbell(capref_t ep, capref_t q, uint64_t *epoch, uint32_t *start);

/* A user-level home of one's own (blk=user: the kernel left the NVMe
 * controllers to user space).  The first NVMe controller's device
 * capability nobody holds yet, or -E_NOENT. */
long blk_home_find_nvme(void);

/* Start user/drvsup (the archive's) as our child on device dev with
 * quota pages, drvsup then running user/blkd on it and restarting it when
 * it dies (arg0: drvsup's test knobs, 0 for none).  Returns drvsup's
 * unbadged endpoint; *env gets its environment.  Errors: -E_NOENT (no
 * drvsup or blkd in the archive), spawn's, the endpoint's. */
long blk_home_drvsup_start(capref_t dev, uint64_t quota, uint64_t arg0, capref_t *env);

/* The size in blocks of namespace index ns, asked of sup (an unbadged
 * blkd or drvsup endpoint).  Errors: -E_NOENT (no such namespace), the
 * call's. */
long blk_home_ns_blocks(capref_t sup, uint64_t ns);

/* An extent of blocks [base, base + count) of namespace index ns (count
 * 0: from base to the namespace's end), minted on sup: a badged endpoint
 * with CR_READ | CR_WRITE | CR_GRANT.  Errors: blk_home_ns_blocks's,
 * -E_RANGE, -E_NOSPC (blkd's extents), ipc_badge's. */
long blk_home_extent(capref_t sup, uint64_t ns, uint64_t base, uint64_t count);

#endif
