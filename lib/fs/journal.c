/*
 * The jbd2 journal writer (design, formats and the commit order in
 * journal.h).  Written from the on-disk format (the ext4 documentation's
 * journal chapter and the field layout of e2fsprogs' kernel-jbd.h); no code
 * of jbd2, e2fsck or debugfs is used.
 *
 * Log positions are journal block numbers in [first, maxlen); map turns
 * them into device blocks.  The live log runs from tail (the oldest
 * committed transaction not yet checkpointed, tid tail_tid) to head; it is
 * empty right after open and after every checkpoint, when the superblock
 * on disk says s_start = 0.  `live` is the set of device blocks with a
 * copy in the live log (open addressing, cleared at checkpoint), which
 * decides whether a freed block needs a revoke record.
 */
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "jbd2_format.h"

struct logged {                 /* a block of the transaction being committed */
    uint64_t blk;
    const uint8_t *data;
};

struct jnl {
    struct bcache *bc;
    struct blkdev *dev;
    uint32_t bsize;
    uint64_t *map;
    uint32_t first, maxlen;
    int csum, is64;
    uint32_t seed;              /* crc32c of the uuid, from ~0 */
    uint32_t tag_bytes;
    uint64_t (*now_ns)(void);
    uint32_t tid;               /* the running transaction */
    int empty;
    uint32_t tail, head;
    int broken;                 /* a write failed: refuse everything */
    uint64_t *live;             /* set of device blocks; 0 = free slot (block 0 is never logged twice over) */
    size_t live_mask, live_n;
    int live_zero;              /* block 0 is in the set */
    uint64_t *rev;              /* revokes of the running transaction */
    size_t nrev, rev_cap;
    struct logged *tx;          /* scratch for commit */
    size_t tx_cap, ntx;
    uint8_t *jsb, *buf, *esc;
    struct jnl_stats st;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static void put_header(uint8_t *b, uint32_t type, uint32_t tid)
{
    put32(b, JBD2_MAGIC);
    put32(b + 4, type);
    put32(b + 8, tid);
}

static uint32_t log_len(struct jnl *j)
{
    return j->maxlen - j->first;
}

static uint32_t log_next(struct jnl *j, uint32_t pos)
{
    return pos + 1 == j->maxlen ? j->first : pos + 1;
}

static uint32_t log_used(struct jnl *j)
{
    return j->empty ? 0 : (j->head + log_len(j) - j->tail) % log_len(j);
}

/* Writes one block at log position pos.  Errors: the device's. */
static int log_write(struct jnl *j, uint32_t pos, const void *data)
{
    int r = blkdev_write(j->dev, j->map[pos], 1, data);

    if (r)
        j->broken = 1;
    j->st.log_blocks++;
    return r;
}

static int jnl_flush(struct jnl *j)
{
    int r = blkdev_flush(j->dev);

    if (r)
        j->broken = 1;
    return r;
}

/* The block tail (descriptor, revoke) or commit checksum over b. */
static void block_csum(struct jnl *j, uint8_t *b, uint32_t at)
{
    put32(b + at, 0);
    put32(b + at, crc32c(j->seed, b, j->bsize));
}

/* Writes the journal superblock with s_start and s_sequence.  Errors: the
 * device's. */
static int jsb_write(struct jnl *j, uint32_t start, uint32_t seq)
{
    put32(j->jsb + JSB_START, start);
    put32(j->jsb + JSB_SEQUENCE, seq);
    if (j->csum) {
        put32(j->jsb + JSB_CHECKSUM, 0);
        put32(j->jsb + JSB_CHECKSUM, crc32c(~0u, j->jsb, JSB_SIZE));
    }
    return log_write(j, 0, j->jsb);
}

static int live_has(struct jnl *j, uint64_t blk)
{
    if (blk == 0)
        return j->live_zero;
    for (size_t i = (size_t)(blk * 0x9E3779B97F4A7C15ull >> 20) & j->live_mask;; i = (i + 1) & j->live_mask) {
        if (j->live[i] == blk)
            return 1;
        if (j->live[i] == 0)
            return 0;
    }
}

/* Adds blk to the live set; the set has room for every log position, and
 * a block is added at most once per log position used. */
static void live_add(struct jnl *j, uint64_t blk)
{
    size_t i;

    if (blk == 0) {
        j->live_zero = 1;
        return;
    }
    for (i = (size_t)(blk * 0x9E3779B97F4A7C15ull >> 20) & j->live_mask; j->live[i];
         i = (i + 1) & j->live_mask)
        if (j->live[i] == blk)
            return;
    j->live[i] = blk;
    j->live_n++;
}

/* Contract in journal.h. */
int jnl_open(struct bcache *bc, const struct jnl_params *p, struct jnl **out)
{
    struct blkdev *dev = bcache_dev(bc);
    struct jnl *j;
    uint32_t incompat, len;
    size_t nlive = 16;
    int r;

    if (!p->map || p->nmap < 2)
        return -EINVAL;
    j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->bc = bc;
    j->dev = dev;
    j->bsize = dev->block_size;
    j->jsb = malloc(j->bsize);
    j->buf = malloc(j->bsize);
    j->esc = malloc(j->bsize);
    r = -ENOMEM;
    if (!j->jsb || !j->buf || !j->esc)
        goto fail;
    r = p->map[0] < dev->nblocks ? blkdev_read(dev, p->map[0], 1, j->jsb) : -EINVAL;
    if (r)
        goto fail;
    r = -EINVAL;
    j->maxlen = get32(j->jsb + JSB_MAXLEN);
    j->first = get32(j->jsb + JSB_FIRST);
    if (get32(j->jsb) != JBD2_MAGIC || get32(j->jsb + 4) != JBD2_SB_V2 ||
        get32(j->jsb + JSB_BLOCKSIZE) != j->bsize || j->maxlen > p->nmap ||
        j->first < 1 || j->first + 16 > j->maxlen || j->bsize < 1024)
        goto fail;
    for (uint32_t i = 0; i < j->maxlen; i++)
        if (p->map[i] >= dev->nblocks)
            goto fail;
    incompat = get32(j->jsb + JSB_INCOMPAT);
    r = -EOPNOTSUPP;
    if ((incompat & (JBD2_INCOMPAT_ASYNC | JBD2_INCOMPAT_FAST_COMMIT)) ||
        get32(j->jsb + JSB_NUM_FC) || get32(j->jsb + JSB_ROCOMPAT) ||
        get32(j->jsb + JSB_NR_USERS) > 1)
        goto fail;
    r = -EUCLEAN;
    if (get32(j->jsb + JSB_START) != 0)
        goto fail;
    r = -ENOMEM;
    j->map = malloc(j->maxlen * sizeof(*j->map));
    len = j->maxlen - j->first;
    while (nlive < 2 * (size_t)len)
        nlive <<= 1;
    j->live = calloc(nlive, sizeof(*j->live));
    j->live_mask = nlive - 1;
    if (!j->map || !j->live)
        goto fail;
    memcpy(j->map, p->map, j->maxlen * sizeof(*j->map));
    j->csum = p->csum;
    j->is64 = p->is64;
    j->now_ns = p->now_ns;
    j->tag_bytes = j->csum ? 16 : j->is64 ? 12 : 8;
    j->seed = crc32c(~0u, j->jsb + JSB_UUID, 16);
    j->tid = get32(j->jsb + JSB_SEQUENCE);
    j->empty = 1;
    j->head = j->tail = j->first;

    /* The features this writer uses, as a Linux mount would set them. */
    incompat = JBD2_INCOMPAT_REVOKE | (j->is64 ? JBD2_INCOMPAT_64BIT : 0) |
               (j->csum ? JBD2_INCOMPAT_CSUM_V3 : 0);
    put32(j->jsb + JSB_COMPAT, get32(j->jsb + JSB_COMPAT) & ~JBD2_COMPAT_CHECKSUM);
    put32(j->jsb + JSB_INCOMPAT, incompat);
    j->jsb[JSB_CSUM_TYPE] = j->csum ? JBD2_CRC32C_CHKSUM : 0;
    r = jsb_write(j, 0, j->tid);
    if (!r)
        r = jnl_flush(j);
    if (r)
        goto fail;
    *out = j;
    return 0;
fail:
    free(j->map);
    free(j->live);
    free(j->jsb);
    free(j->buf);
    free(j->esc);
    free(j);
    return r;
}

static int tx_collect(void *arg, uint64_t blk, const uint8_t *data)
{
    struct jnl *j = arg;

    if (j->ntx == j->tx_cap) {
        size_t n = j->tx_cap ? j->tx_cap * 2 : 64;
        struct logged *t = realloc(j->tx, n * sizeof(*t));
        if (!t)
            return -ENOMEM;
        j->tx = t;
        j->tx_cap = n;
    }
    j->tx[j->ntx].blk = blk;
    j->tx[j->ntx].data = data;
    j->ntx++;
    return 0;
}

/* Drops revokes of blocks that are logged again by this transaction. */
static void rev_prune(struct jnl *j)
{
    size_t k = 0;

    for (size_t i = 0; i < j->nrev; i++)
        if (bcache_state(j->bc, j->rev[i]) != BC_META)
            j->rev[k++] = j->rev[i];
    j->nrev = k;
}

static uint32_t tags_per_desc(struct jnl *j)
{
    uint32_t room = j->bsize - 12 - (j->csum ? 4 : 0);

    return (room - 16) / j->tag_bytes;      /* the first tag carries the uuid */
}

static uint32_t recs_per_revoke(struct jnl *j)
{
    return (j->bsize - 16 - (j->csum ? 4 : 0)) / (j->is64 ? 8 : 4);
}

/* Step 3 for the revokes: writes them from head on.  Errors: the device's. */
static int write_revokes(struct jnl *j)
{
    uint32_t per = recs_per_revoke(j), rec = j->is64 ? 8 : 4;

    for (size_t i = 0; i < j->nrev; i += per) {
        size_t n = j->nrev - i < per ? j->nrev - i : per;
        int r;

        memset(j->buf, 0, j->bsize);
        put_header(j->buf, JBD2_REVOKE, j->tid);
        put32(j->buf + 12, (uint32_t)(16 + n * rec));
        for (size_t k = 0; k < n; k++) {
            if (j->is64)
                put64(j->buf + 16 + k * 8, j->rev[i + k]);
            else
                put32(j->buf + 16 + k * 4, (uint32_t)j->rev[i + k]);
        }
        if (j->csum)
            block_csum(j, j->buf, j->bsize - 4);
        r = log_write(j, j->head, j->buf);
        if (r)
            return r;
        j->head = log_next(j, j->head);
        j->st.revokes += n;
    }
    return 0;
}

/* Step 3 for the metadata: descriptor blocks and the copies they name.
 * The descriptor is filled first and written at its position, then the
 * copies follow it.  Errors: the device's. */
static int write_descriptors(struct jnl *j)
{
    uint32_t per = tags_per_desc(j);

    for (size_t i = 0; i < j->ntx; i += per) {
        size_t n = j->ntx - i < per ? j->ntx - i : per;
        uint32_t dpos = j->head, pos;
        uint8_t *t;
        int r;

        memset(j->buf, 0, j->bsize);
        put_header(j->buf, JBD2_DESCRIPTOR, j->tid);
        t = j->buf + 12;
        pos = log_next(j, dpos);
        for (size_t k = 0; k < n; k++) {
            const struct logged *l = &j->tx[i + k];
            const uint8_t *stored = l->data;
            uint32_t flags = (k ? TAG_SAME_UUID : 0) | (k + 1 == n ? TAG_LAST : 0);

            if (get32(l->data) == JBD2_MAGIC) {
                memcpy(j->esc, l->data, j->bsize);
                put32(j->esc, 0);
                stored = j->esc;
                flags |= TAG_ESCAPE;
                j->st.escapes++;
            }
            put32(t, (uint32_t)l->blk);
            if (j->csum) {                  /* tag3: blocknr, flags, high, csum */
                uint8_t seq[4];
                uint32_t c;
                put32(seq, j->tid);
                c = crc32c(crc32c(j->seed, seq, 4), stored, j->bsize);
                put32(t + 4, flags);
                put32(t + 8, (uint32_t)(l->blk >> 32));
                put32(t + 12, c);
            } else {                        /* tag: blocknr, csum16, flags16, [high] */
                t[6] = (uint8_t)(flags >> 8);
                t[7] = (uint8_t)flags;
                if (j->is64)
                    put32(t + 8, (uint32_t)(l->blk >> 32));
            }
            t += j->tag_bytes;
            if (!k) {
                memcpy(t, j->jsb + JSB_UUID, 16);
                t += 16;
            }
            r = log_write(j, pos, stored);
            if (r)
                return r;
            live_add(j, l->blk);
            pos = log_next(j, pos);
        }
        if (j->csum)
            block_csum(j, j->buf, j->bsize - 4);
        r = log_write(j, dpos, j->buf);
        if (r)
            return r;
        j->head = pos;
    }
    return 0;
}

static int write_commit(struct jnl *j)
{
    uint64_t ns = j->now_ns ? j->now_ns() : 0;

    memset(j->buf, 0, j->bsize);
    put_header(j->buf, JBD2_COMMIT, j->tid);
    put64(j->buf + CB_SEC, ns / 1000000000u);
    put32(j->buf + CB_NSEC, (uint32_t)(ns % 1000000000u));
    if (j->csum)
        block_csum(j, j->buf, CB_CHKSUM);
    /* Durable when it returns: FUA where the device has it, else a flush. */
    int r = blkdev_write_fua(j->dev, j->map[j->head], 1, j->buf);
    if (r)
        j->broken = 1;
    j->st.log_blocks++;
    return r;
}

static int data_in_live_log(void *arg, uint64_t blk, const uint8_t *data)
{
    (void)data;
    return live_has(arg, blk);
}

/* Contract in journal.h; the steps are those of the picture there. */
int jnl_commit(struct jnl *j)
{
    uint32_t per, need;
    int r;

    if (j->broken)
        return -EIO;
    rev_prune(j);
    j->ntx = 0;
    r = bcache_visit(j->bc, BC_META, tx_collect, j);
    if (r)
        return r;
    j->st.data_blocks += bcache_count(j->bc, BC_DATA);
    if (j->ntx == 0 && j->nrev == 0) {         /* data only: fdatasync */
        r = bcache_writeback(j->bc, BC_MASK(BC_DATA));
        return r ? r : jnl_flush(j);
    }
    per = tags_per_desc(j);
    need = (uint32_t)((j->ntx + per - 1) / per + j->ntx + 1 +
                      (j->nrev + recs_per_revoke(j) - 1) / recs_per_revoke(j));
    if (need > log_len(j))
        return -E2BIG;
    if (log_used(j) + need > log_len(j)) {
        /* A checkpoint now retires transactions whose blocks this one may
         * have freed and reused as data (which goes home in step 1):
         * refuse rather than break them.  Room is normally made after
         * each commit instead (below). */
        r = bcache_visit(j->bc, BC_DATA, data_in_live_log, j);
        if (r)
            return r == 1 ? -E2BIG : r;
        if ((r = jnl_checkpoint(j)))
            return r;
    }

    r = bcache_writeback(j->bc, BC_MASK(BC_DATA));                  /* 1 */
    if (!r && j->empty) {                                           /* 2 */
        j->tail = j->head;
        r = jsb_write(j, j->tail, j->tid);
        j->empty = 0;
    }
    if (!r)
        r = write_revokes(j);                                        /* 3 */
    if (!r)
        r = write_descriptors(j);
    if (!r)
        r = jnl_flush(j);                                           /* 4 */
    if (!r)
        r = write_commit(j);                                        /* 5, 6 */
    if (r) {
        j->broken = 1;
        return r;
    }
    j->head = log_next(j, j->head);
    bcache_retag(j->bc, BC_META, BC_COMMITTED);
    j->nrev = 0;
    j->tid++;
    j->st.commits++;
    /* Room for the next transaction, while nothing is running. */
    if (log_len(j) - log_used(j) < log_len(j) / 2)
        return jnl_checkpoint(j);
    return 0;
}

/* Contract in journal.h. */
int jnl_checkpoint(struct jnl *j)
{
    int r;

    if (j->broken)
        return -EIO;
    if (j->empty)
        return 0;
    r = bcache_writeback(j->bc, BC_MASK(BC_COMMITTED));             /* 7 */
    if (!r)
        r = jnl_flush(j);                                           /* 8 */
    if (!r)
        r = jsb_write(j, 0, j->tid);                                /* 9 */
    if (!r)
        r = jnl_flush(j);                                           /* 10 */
    if (r) {
        j->broken = 1;
        return r;
    }
    j->empty = 1;
    j->tail = j->head;
    memset(j->live, 0, (j->live_mask + 1) * sizeof(*j->live));
    j->live_n = 0;
    j->live_zero = 0;
    j->st.checkpoints++;
    return 0;
}

/* Contract in journal.h.  Errors: -ENOMEM. */
int jnl_revoke(struct jnl *j, uint64_t blk)
{
    bcache_forget(j->bc, blk);
    if (!live_has(j, blk))
        return 0;
    for (size_t i = 0; i < j->nrev; i++)
        if (j->rev[i] == blk)
            return 0;
    if (j->nrev == j->rev_cap) {
        size_t n = j->rev_cap ? j->rev_cap * 2 : 32;
        uint64_t *v = realloc(j->rev, n * sizeof(*v));
        if (!v)
            return -ENOMEM;
        j->rev = v;
        j->rev_cap = n;
    }
    j->rev[j->nrev++] = blk;
    return 0;
}

uint32_t jnl_max_transaction(struct jnl *j)
{
    return log_len(j) / 4;
}

int jnl_close(struct jnl *j)
{
    int r = jnl_commit(j);

    if (!r)
        r = jnl_checkpoint(j);
    jnl_abandon(j);
    return r;
}

void jnl_abandon(struct jnl *j)
{
    free(j->map);
    free(j->live);
    free(j->rev);
    free(j->tx);
    free(j->jsb);
    free(j->buf);
    free(j->esc);
    free(j);
}

void jnl_get_stats(struct jnl *j, struct jnl_stats *st)
{
    *st = j->st;
}
