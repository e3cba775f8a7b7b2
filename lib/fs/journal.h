/*
 * The jbd2 journal writer of lib/fs: ext4's own journal, written in
 * ordered mode so that after a power cut the standard tools (e2fsck, a
 * Linux mount) replay it.
 *
 * A transaction is every metadata block in state META in the buffer cache
 * (bcache.h) plus the revoke records gathered since the last commit; the
 * file system commits only between operations, so each transaction is a
 * consistent file system.  The log is the journal inode's blocks 1 ..
 * s_maxlen-1 (block 0 is the journal superblock), used as a circle.
 *
 * The commit order is the contract (each FLUSH is blkdev_flush: every
 * write before it is durable when it returns):
 *
 *   running transaction T: META blocks in the cache, revokes R
 *        |
 *   1.   | ordered data: every DATA block home (its own place)  --+
 *   2.   | if the log was empty: journal superblock               |  any
 *        |   s_start = head, s_sequence = T                        |  order
 *   3.   | revoke blocks (R), then descriptor blocks, each         |
 *        |   followed by the copies of the blocks its tags name    |
 *        |   (escaped where they start with the jbd2 magic)      --+
 *   4. FLUSH                       data + log blocks durable
 *   5.   | commit block of T (crc32c over it with metadata_csum),
 *   6.   |   written FUA, or followed by a FLUSH: T is durable, replay restores it
 *        | META -> COMMITTED, T+1 runs
 *        :
 *   checkpoint (right after a commit that leaves less than half the log
 *   free, and at unmount; before a commit only if the running transaction
 *   reused no block of the live log as data):
 *   7.   | every COMMITTED block home
 *   8. FLUSH                       home copies durable
 *   9.   | journal superblock: s_start = 0 (empty), s_sequence = next T
 *  10. FLUSH                       only now may the log be overwritten
 *
 * A cut before 6 leaves T invisible (its commit block is missing, or torn
 * and failing its checksum); a cut after 6 replays T (and every earlier
 * committed transaction still in the log) over home blocks that hold
 * either their old or their checkpointed contents.  Data written in step
 * 1 belongs to blocks the committed metadata points at only from T on.
 *
 * Revoke: a metadata block freed while a copy of it is in the live log
 * (written since the last checkpoint) and then reused as data must not be
 * overwritten by that old copy at replay, so its freeing adds a revoke
 * record to the running transaction (jnl_revoke; it also drops the block's
 * META or DATA contents from the cache: they no longer matter).  A revoked
 * block that becomes metadata again in the same transaction is logged
 * instead (the newer copy wins at replay, which goes in order).  Such a
 * reused block is also why the log is not checkpointed while a transaction
 * runs: its new data may reach home before the transaction commits, and
 * until then the retired transaction's copy is the truth.
 *
 * Formats (jbd2, v2 superblock): features REVOKE, 64BIT when the file
 * system is 64bit, CSUM_V3 (crc32c; 16-byte tags, block tails, commit and
 * superblock checksums) when it has metadata_csum; otherwise 8- or 12-byte
 * tags and no checksums.  Journals with fast commits, async commit or
 * external devices are refused, as is one that needs recovery (replay it
 * first: jnl_replay, journal_replay.c).
 * Errors are negative Linux errno values.  Not thread-safe.
 */
#ifndef VENEER_FS_JOURNAL_H
#define VENEER_FS_JOURNAL_H

#include <stdint.h>

#include "bcache.h"

struct jnl_params {
    const uint64_t *map;        /* device block of each journal block */
    uint32_t nmap;              /* entries in map (>= s_maxlen) */
    int is64;                   /* the file system has 64bit */
    int csum;                   /* the file system has metadata_csum */
    uint64_t (*now_ns)(void);   /* commit times; NULL: 0 */
};

struct jnl_stats {
    uint64_t commits, checkpoints, log_blocks, revokes, escapes, data_blocks;
};

struct jnl;

/* Opens the journal whose blocks map gives, on bc's device: checks its
 * superblock, sets the features above and writes it back (flushed).
 * Errors: -EINVAL (not a jbd2 v2 journal of this block size, map too
 * short), -EOPNOTSUPP (fast commit, async commit, external device),
 * -EUCLEAN (needs recovery: run e2fsck), -ENOMEM, the device's. */
int jnl_open(struct bcache *bc, const struct jnl_params *p, struct jnl **out);
/* Commits the running transaction (steps 1-6; only 1 and a flush if it has
 * no metadata), then checkpoints if less than half the log is left.
 * Errors: -E2BIG (the transaction needs more blocks than the log has
 * free, and it cannot checkpoint first: commit within
 * jnl_max_transaction), the device's (the journal is then unusable: after a
 * write error nothing more is written, every later call fails -EIO). */
int jnl_commit(struct jnl *j);
/* Steps 7-10: the log becomes empty.  Errors: the device's. */
int jnl_checkpoint(struct jnl *j);
/* Records that metadata block blk was freed in the running transaction. */
int jnl_revoke(struct jnl *j, uint64_t blk);
/* The metadata blocks a transaction should stay within (a quarter of the
 * log, as jbd2's limit). */
uint32_t jnl_max_transaction(struct jnl *j);
/* Commits, checkpoints and frees j (also on error).  Errors: those. */
int jnl_close(struct jnl *j);
/* Frees j without writing anything (a simulated crash). */
void jnl_abandon(struct jnl *j);
void jnl_get_stats(struct jnl *j, struct jnl_stats *st);

/* Replay at mount (journal_replay.c). */
struct jnl_replay_stats {
    uint32_t transactions;      /* committed transactions replayed */
    uint32_t next_tid;          /* the sequence the empty log now expects */
    uint64_t blocks;            /* copies written home */
    uint64_t revokes, skipped;  /* revoke records; copies not written because revoked */
};

/* Replays the journal whose blocks map gives (map[0]: its superblock)
 * straight onto dev, if its superblock says the log is not empty: scan,
 * revoke and replay passes, a flush, then the superblock marks the log
 * empty (flushed).  Nothing to replay is success.  Use it before anything
 * reads the file system's metadata (it changes blocks under any cache).
 * Errors: -EINVAL (not a jbd2 v2 journal of the device's block size, a
 * map that is too short or outside the device), -EOPNOTSUPP (CSUM_V2, v1
 * checksums, async commit, fast commits, unknown features), -EUCLEAN
 * (the journal superblock's checksum fails), -ENOMEM, the device's. */
int jnl_replay(struct blkdev *dev, const uint64_t *map, uint32_t nmap, struct jnl_replay_stats *st);

#endif
