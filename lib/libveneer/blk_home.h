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

#endif
