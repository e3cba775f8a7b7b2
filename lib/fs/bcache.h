/*
 * The buffer cache of lib/fs: whole device blocks in memory between
 * libext2fs (through extfs_io.c) and a struct blkdev, write-back, bounded,
 * replaced by the clock algorithm.
 *
 * Each cached block has a state that the journal (journal.h) drives:
 *
 *   CLEAN      same as the device's copy;
 *   DATA       file data, dirty: may go home (be written to its own block
 *              on the device) at any time; ordered mode writes all of
 *              them home before a commit;
 *   META       metadata changed by the running transaction: pinned, must
 *              not go home before its transaction commits (the journal
 *              logs it and then moves it to COMMITTED);
 *   COMMITTED  metadata whose transaction is durable in the journal: may
 *              go home at any time; the checkpoint writes all of them.
 *
 * Changing a COMMITTED block as META first writes the committed copy home
 * (so the checkpoint never needs a copy the cache no longer has); changing
 * a block as DATA drops it from the running transaction.  Eviction skips
 * META blocks and writes DATA and COMMITTED ones home first; when every
 * block is META the cache grows past its bound (counted in `overflow`):
 * the file system commits between operations to keep that rare.
 * Errors are negative Linux errno values.  Not thread-safe.
 */
#ifndef VENEER_FS_BCACHE_H
#define VENEER_FS_BCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "blkdev.h"

enum bcache_state { BC_CLEAN, BC_DATA, BC_META, BC_COMMITTED, BC_NSTATES };
#define BC_MASK(s) (1u << (s))

struct bcache_stats {
    uint64_t hits, misses, evictions, home_writes, copy_outs;
    size_t overflow;                /* most blocks ever held past the bound */
};

struct bcache;

/* A cache of at most nbufs blocks of dev (nbufs >= 16).
 * Errors: -EINVAL, -ENOMEM. */
int bcache_create(struct blkdev *dev, size_t nbufs, struct bcache **out);
/* Frees the cache; dirty blocks are dropped (write them back first). */
void bcache_destroy(struct bcache *bc);

/* Copies len bytes at byte off of block blk into dst (off + len <= block
 * size), reading the block on a miss.  Errors: -EINVAL, -ENOMEM, the
 * device's. */
int bcache_read(struct bcache *bc, uint64_t blk, uint32_t off, uint32_t len, void *dst);
/* Changes len bytes at off of block blk (a partial change of an uncached
 * block reads it first); kind is BC_DATA or BC_META (see above).
 * Errors: -EINVAL, -ENOMEM, the device's (for a read or a copy-out). */
int bcache_write(struct bcache *bc, uint64_t blk, uint32_t off, uint32_t len, const void *src,
                 enum bcache_state kind);

/* Writes every block whose state is in mask home and marks it CLEAN (no
 * flush).  Errors: the device's (blocks not yet written keep their state). */
int bcache_writeback(struct bcache *bc, unsigned mask);
/* Calls fn on every block in state s, in no order; stops at fn's first
 * nonzero return, which it returns. */
int bcache_visit(struct bcache *bc, enum bcache_state s,
                 int (*fn)(void *arg, uint64_t blk, const uint8_t *data), void *arg);
/* Moves every block in state from to state to. */
void bcache_retag(struct bcache *bc, enum bcache_state from, enum bcache_state to);
/* Drops blk from the cache if it is META or DATA (a freed block: its
 * contents no longer matter); CLEAN and COMMITTED blocks stay. */
void bcache_forget(struct bcache *bc, uint64_t blk);
/* The state of blk, or -1 if it is not cached. */
int bcache_state(struct bcache *bc, uint64_t blk);
size_t bcache_count(struct bcache *bc, enum bcache_state s);
size_t bcache_capacity(struct bcache *bc);
struct blkdev *bcache_dev(struct bcache *bc);
void bcache_get_stats(struct bcache *bc, struct bcache_stats *st);

#endif
