/*
 * Journal replay at mount: what e2fsck -fy or a Linux mount would do with
 * a journal that needs recovery, done by the libOS itself.  Written from
 * the jbd2 on-disk format (the same description journal.c writes to); no
 * code of jbd2's recovery, e2fsck or debugfs is used.
 *
 * Three passes walk the circular log from the journal superblock's
 * s_start, expecting transaction s_sequence, then s_sequence + 1, ...:
 *
 *   SCAN     find the end of the log: the last transaction whose commit
 *            block is there and valid.  A block that is not a jbd2 block
 *            of the expected transaction ends the log; so does a
 *            descriptor or revoke block whose tail checksum fails, a tag
 *            that names a block outside the device, a logged copy whose
 *            tag checksum fails, or a commit block whose checksum fails
 *            (that transaction was cut before its commit was durable).
 *   REVOKE   collect the revoke records of the valid transactions: block
 *            -> the newest transaction that revoked it.
 *   REPLAY   write every logged copy of the valid transactions home, in
 *            log order (a newer copy overwrites an older one), except a
 *            block revoked by the same or a later transaction; escaped
 *            copies get their magic back.
 *
 * Then one flush, and the journal superblock says the log is empty
 * (s_start = 0, s_sequence = the next transaction), flushed again; only
 * then may the file system be used.  Every pass reads at most the log's
 * length of blocks, so a hostile image cannot make it loop.  Checksums
 * are those the journal's features name: none, or CSUM_V3 (crc32c, as
 * journal.c writes and Linux does with metadata_csum); journals with
 * CSUM_V2, the v1 commit checksum, async commit or fast commits are
 * refused (-EOPNOTSUPP).
 */
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "jbd2_format.h"


enum pass { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

struct revoked { uint64_t blk; uint32_t tid; int used; };

struct replay {
    struct blkdev *dev;
    const uint64_t *map;
    uint32_t first, maxlen, bsize;
    int csum, is64;
    uint32_t tag_bytes, seed;
    uint8_t *blk, *data;            /* the current log block, a logged copy */
    struct revoked *rev;            /* open addressing, power-of-two size */
    size_t rev_mask, nrev;
    struct jnl_replay_stats *st;
};

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t log_next(struct replay *rp, uint32_t pos)
{
    return pos + 1 >= rp->maxlen ? rp->first : pos + 1;
}

static int log_read(struct replay *rp, uint32_t pos, uint8_t *buf)
{
    return blkdev_read(rp->dev, rp->map[pos], 1, buf);
}

/* crc32c over b with the 4 bytes at `at` counted as zero, against them. */
static int csum_ok(struct replay *rp, uint8_t *b, uint32_t at)
{
    uint32_t want = get32(b + at);
    put32(b + at, 0);
    uint32_t c = crc32c(rp->seed, b, rp->bsize);
    put32(b + at, want);
    return c == want;
}

static size_t rev_slot(struct replay *rp, uint64_t blk)
{
    return (size_t)(blk * 0x9E3779B97F4A7C15ull >> 17) & rp->rev_mask;
}

/* Records that tid revoked blk (the newest tid wins).  Errors: -ENOMEM. */
static int rev_add(struct replay *rp, uint64_t blk, uint32_t tid)
{
    if ((rp->nrev + 1) * 2 > rp->rev_mask + 1) {
        size_t n = rp->rev ? (rp->rev_mask + 1) * 2 : 256;
        struct revoked *old = rp->rev, *t = calloc(n, sizeof(*t));
        size_t oldn = rp->rev ? rp->rev_mask + 1 : 0;
        if (!t)
            return -ENOMEM;
        rp->rev = t;
        rp->rev_mask = n - 1;
        rp->nrev = 0;
        for (size_t i = 0; i < oldn; i++)
            if (old[i].used)
                rev_add(rp, old[i].blk, old[i].tid);
        free(old);
    }
    size_t i = rev_slot(rp, blk);
    while (rp->rev[i].used && rp->rev[i].blk != blk)
        i = (i + 1) & rp->rev_mask;
    if (!rp->rev[i].used) {
        rp->rev[i] = (struct revoked){blk, tid, 1};
        rp->nrev++;
    } else if ((int32_t)(tid - rp->rev[i].tid) > 0) {
        rp->rev[i].tid = tid;
    }
    return 0;
}

/* Whether blk is revoked by tid or a later transaction. */
static int rev_has(struct replay *rp, uint64_t blk, uint32_t tid)
{
    if (!rp->rev)
        return 0;
    for (size_t i = rev_slot(rp, blk); rp->rev[i].used; i = (i + 1) & rp->rev_mask)
        if (rp->rev[i].blk == blk)
            return (int32_t)(rp->rev[i].tid - tid) >= 0;
    return 0;
}

/* The revoke block in rp->blk, of transaction tid: checks it (SCAN) or
 * records it (REVOKE).  Returns 1 if valid, 0 if the log ends here, or an
 * error. */
static int do_revoke(struct replay *rp, enum pass pass, uint32_t tid)
{
    uint32_t rec = rp->is64 ? 8 : 4, used = get32(rp->blk + 12);
    uint32_t limit = rp->bsize - (rp->csum ? 4 : 0);
    if (used < 16 || used > limit || (used - 16) % rec)
        return 0;
    if (rp->csum && !csum_ok(rp, rp->blk, rp->bsize - 4))
        return 0;
    if (pass != PASS_REVOKE)
        return 1;
    for (uint32_t off = 16; off < used; off += rec) {
        uint64_t b = rp->is64 ? (uint64_t)get32(rp->blk + off) << 32 | get32(rp->blk + off + 4)
                              : get32(rp->blk + off);
        int r = rev_add(rp, b, tid);
        if (r)
            return r;
        rp->st->revokes++;
    }
    return 1;
}

/* The descriptor in rp->blk at log position *pos, of transaction tid:
 * walks its tags and the copies after it (checking them in SCAN, writing
 * them home in REPLAY) and leaves *pos after the last copy.  Returns 1
 * if valid, 0 if the log ends here, or an error. */
static int do_descriptor(struct replay *rp, enum pass pass, uint32_t tid, uint32_t *pos, uint32_t *left)
{
    uint32_t limit = rp->bsize - (rp->csum ? 4 : 0), off = 12;
    uint8_t seq[4];
    if (rp->csum && !csum_ok(rp, rp->blk, rp->bsize - 4))
        return 0;
    put32(seq, tid);
    for (;;) {
        if (off + rp->tag_bytes > limit || *left == 0)
            return 0;
        const uint8_t *t = rp->blk + off;
        uint64_t home = get32(t);
        uint32_t flags;
        if (rp->csum) {
            flags = get32(t + 4);
            home |= (uint64_t)get32(t + 8) << 32;
        } else {
            flags = (uint32_t)t[6] << 8 | t[7];
            if (rp->is64)
                home |= (uint64_t)get32(t + 8) << 32;
        }
        off += rp->tag_bytes + (flags & TAG_SAME_UUID ? 0 : 16);
        if (home >= rp->dev->nblocks)
            return 0;
        *pos = log_next(rp, *pos);
        (*left)--;
        if (pass != PASS_REVOKE) {
            int r = log_read(rp, *pos, rp->data);
            if (r)
                return r;
            if (pass == PASS_SCAN && rp->csum &&
                crc32c(crc32c(rp->seed, seq, 4), rp->data, rp->bsize) != get32(t + 12))
                return 0;
            if (pass == PASS_REPLAY) {
                if (rev_has(rp, home, tid)) {
                    rp->st->skipped++;
                } else {
                    if (flags & TAG_ESCAPE)
                        put32(rp->data, JBD2_MAGIC);
                    if ((r = blkdev_write(rp->dev, home, 1, rp->data)))
                        return r;
                    rp->st->blocks++;
                }
            }
        }
        if (flags & TAG_LAST)
            return off <= limit ? 1 : 0;
    }
}

/* One pass over the log from start, transaction seq on.  SCAN sets *end
 * to the transaction after the last valid one; the other passes stop
 * there.  Errors: the device's, -ENOMEM. */
static int walk(struct replay *rp, enum pass pass, uint32_t start, uint32_t seq, uint32_t *end)
{
    uint32_t pos = start, tid = seq, left = rp->maxlen - rp->first;
    while (left && (pass == PASS_SCAN || tid != *end)) {
        int r = log_read(rp, pos, rp->blk), ok = 0;
        if (r)
            return r;
        left--;
        if (get32(rp->blk) != JBD2_MAGIC || get32(rp->blk + 8) != tid)
            break;
        switch (get32(rp->blk + 4)) {
        case JBD2_DESCRIPTOR:
            ok = do_descriptor(rp, pass, tid, &pos, &left);
            break;
        case JBD2_REVOKE:
            ok = do_revoke(rp, pass, tid);
            break;
        case JBD2_COMMIT:
            ok = !rp->csum || csum_ok(rp, rp->blk, CB_CHKSUM);
            if (ok)
                tid++;
            break;
        }
        if (ok < 0)
            return ok;
        if (!ok)
            break;
        pos = log_next(rp, pos);
    }
    if (pass == PASS_SCAN)
        *end = tid;
    return 0;
}

/* Contract in journal.h. */
int jnl_replay(struct blkdev *dev, const uint64_t *map, uint32_t nmap, struct jnl_replay_stats *st)
{
    struct replay rp = {.dev = dev, .map = map, .bsize = dev->block_size, .st = st};
    uint8_t *jsb = malloc(dev->block_size);
    uint32_t start, seq, end = 0, incompat;
    int r;

    memset(st, 0, sizeof(*st));
    if (!jsb)
        return -ENOMEM;
    r = nmap >= 2 && map[0] < dev->nblocks ? blkdev_read(dev, map[0], 1, jsb) : -EINVAL;
    if (r)
        goto out;
    r = -EINVAL;
    rp.maxlen = get32(jsb + JSB_MAXLEN);
    rp.first = get32(jsb + JSB_FIRST);
    if (get32(jsb) != JBD2_MAGIC || get32(jsb + 4) != JBD2_SB_V2 || get32(jsb + JSB_BLOCKSIZE) != rp.bsize ||
        rp.maxlen > nmap || rp.first < 1 || rp.first >= rp.maxlen || rp.bsize < 1024)
        goto out;
    for (uint32_t i = 0; i < rp.maxlen; i++)
        if (map[i] >= dev->nblocks)
            goto out;
    incompat = get32(jsb + JSB_INCOMPAT);
    r = -EOPNOTSUPP;
    if ((incompat & ~JBD2_INCOMPAT_KNOWN) ||
        (incompat & (JBD2_INCOMPAT_ASYNC | JBD2_INCOMPAT_FAST_COMMIT | JBD2_INCOMPAT_CSUM_V2)) ||
        (get32(jsb + JSB_COMPAT) & JBD2_COMPAT_CHECKSUM) || get32(jsb + JSB_NUM_FC))
        goto out;
    rp.csum = (incompat & JBD2_INCOMPAT_CSUM_V3) != 0;
    rp.is64 = (incompat & JBD2_INCOMPAT_64BIT) != 0;
    rp.tag_bytes = rp.csum ? 16 : rp.is64 ? 12 : 8;
    r = -EUCLEAN;
    if (rp.csum) {
        uint32_t want = get32(jsb + JSB_CHECKSUM);
        put32(jsb + JSB_CHECKSUM, 0);
        if (crc32c(~0u, jsb, JSB_SIZE) != want)
            goto out;
    }
    rp.seed = crc32c(~0u, jsb + JSB_UUID, 16);
    start = get32(jsb + JSB_START);
    seq = get32(jsb + JSB_SEQUENCE);
    r = 0;
    if (start == 0)
        goto out;                           /* nothing to replay */
    r = -EINVAL;
    if (start < rp.first || start >= rp.maxlen)
        goto out;
    r = -ENOMEM;
    rp.blk = malloc(rp.bsize);
    rp.data = malloc(rp.bsize);
    if (!rp.blk || !rp.data)
        goto out;
    if ((r = walk(&rp, PASS_SCAN, start, seq, &end)) || (r = walk(&rp, PASS_REVOKE, start, seq, &end)) ||
        (r = walk(&rp, PASS_REPLAY, start, seq, &end)) || (r = blkdev_flush(dev)))
        goto out;
    st->transactions = end - seq;
    st->next_tid = end;
    put32(jsb + JSB_START, 0);
    put32(jsb + JSB_SEQUENCE, end);
    if (rp.csum) {
        put32(jsb + JSB_CHECKSUM, 0);
        put32(jsb + JSB_CHECKSUM, crc32c(~0u, jsb, JSB_SIZE));
    }
    r = blkdev_write(dev, map[0], 1, jsb);
    if (!r)
        r = blkdev_flush(dev);
out:
    free(rp.blk);
    free(rp.data);
    free(rp.rev);
    free(jsb);
    return r;
}
