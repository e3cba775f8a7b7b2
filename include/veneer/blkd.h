/*
 * The control protocol of a user-level block driver environment
 * (user/blkd.c): badged IPC to its endpoint.  Its data path is the
 * kernel's, unchanged: the vn_blkq_hdr ring of <veneer/blk.h> in pages
 * the client shares with it, completions signalled on the client's
 * notification word.  The doorbell is a call (BLKD_DOORBELL), as
 * blk_doorbell is a syscall.
 *
 * A supervisor (user/drvsup.c) may stand between: it speaks the same
 * protocol to clients, forwards each call to the current instance and,
 * when that one dies, starts another and re-attaches every ring.
 *
 *   badge 0 (the supervisor's unbadged endpoint): BLKD_EXTENT mints an
 *            extent and returns its badge; the supervisor makes the
 *            client's endpoint with ipc_badge(ep, badge, CR_WRITE)
 *   badge b (a client): INFO, WHERE, GRANT (xfer: pages), QUEUE (xfer:
 *            its notification word), DOORBELL
 *
 * In a ring request, `extent` must be the capref the client named at
 * BLKD_QUEUE (its endpoint) and `pages` a capref it granted by BLKD_GRANT
 * (the driver keeps the client's capref beside its own copy).  The
 * replies' w[0] is a status (>= 0 or -E_*).
 */
#ifndef VENEER_BLKD_H
#define VENEER_BLKD_H

enum blkd_op {
    BLKD_EXTENT = 1,    /* w1 base, w2 count, w3 rights (CR_READ|CR_WRITE) | namespace index << 32:
                           -> w1 badge */
    BLKD_INFO = 2,      /* -> w1 count, w2 block_size | flags << 32, w3 ns_blocks; on the unbadged
                           endpoint w1 names a namespace index (-E_NOENT past the last) and the
                           count is the whole namespace's */
    BLKD_GRANT = 3,     /* w1 the client's capref of xfer (CAP_PAGE: CR_MAP, CR_READ/CR_WRITE): -> 0 */
    BLKD_QUEUE = 4,     /* w1 ring capref (granted) | extent capref << 32 (what requests name), w2 nslots
                           | inflight << 32, w3 bits; xfer: notify word (CR_WRITE): -> w1 queue */
    BLKD_DOORBELL = 5,  /* w1 queue: -> w0 requests taken, w1 the driver's epoch, w2 where in the ring
                           the current instance began taking requests */
    BLKD_WHERE = 6,     /* -> w1 the extent's first block in its namespace, w2 the namespace's id */
};

/* BLKD_QUEUE's inflight word with this bit: re-attach a ring a previous
 * instance served (its indices are kept; requests between its sq_head and
 * sq_tail are not taken: the client re-submits every request without a
 * completion once it sees a new epoch).  Only the supervisor sends it. */
#define BLKD_REATTACH 0x80000000u

#define BLKD_EXTENTS_MAX 16     /* extents one driver environment serves */
#define BLKD_GRANTS_MAX  8      /* page grants per extent (client) */
#define BLKD_QUEUES_MAX  8      /* queues per driver environment */

#endif
