/*
 * The buffer cache (contract and states in bcache.h).
 *
 * Blocks are found through a chained hash table sized for twice the bound
 * (it is not resized: an overflowing cache only gets longer chains).  The
 * clock hand sweeps the array of buffers; a hit sets the buffer's
 * reference bit, the sweep clears it, and the first unreferenced buffer
 * that is not META is the victim.  Two full sweeps without a victim mean
 * every buffer is META or in use, and the cache grows by one.
 */
#include "bcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bcache_buf {
    uint64_t blk;
    uint8_t state;                  /* enum bcache_state */
    uint8_t ref;                    /* clock reference bit */
    struct bcache_buf *hnext;
    uint8_t *data;
};

struct bcache {
    struct blkdev *dev;
    uint32_t bsize;
    size_t cap;                     /* the bound */
    struct bcache_buf **bufs;       /* nbuf in use, room for nalloc */
    size_t nbuf, nalloc;
    struct bcache_buf **hash;
    size_t hmask;
    size_t hand;
    size_t count[BC_NSTATES];
    struct bcache_stats st;
};

static size_t bc_hash(struct bcache *bc, uint64_t blk)
{
    return (size_t)((blk * 0x9E3779B97F4A7C15ull) >> 32) & bc->hmask;
}

static struct bcache_buf *bc_find(struct bcache *bc, uint64_t blk)
{
    for (struct bcache_buf *b = bc->hash[bc_hash(bc, blk)]; b; b = b->hnext)
        if (b->blk == blk)
            return b;
    return NULL;
}

static void bc_unhash(struct bcache *bc, struct bcache_buf *b)
{
    struct bcache_buf **pp = &bc->hash[bc_hash(bc, b->blk)];

    while (*pp != b)
        pp = &(*pp)->hnext;
    *pp = b->hnext;
}

static void bc_set_state(struct bcache *bc, struct bcache_buf *b, enum bcache_state s)
{
    bc->count[b->state]--;
    b->state = (uint8_t)s;
    bc->count[s]++;
}

static int bc_home(struct bcache *bc, struct bcache_buf *b)
{
    int r = blkdev_write(bc->dev, b->blk, 1, b->data);

    if (r)
        return r;
    bc->st.home_writes++;
    bc_set_state(bc, b, BC_CLEAN);
    return 0;
}

/* A buffer to hold a new block: a victim of the clock (written home if
 * dirty, unhashed), or a new one.  Errors: -ENOMEM, the device's. */
static int bc_take(struct bcache *bc, struct bcache_buf **out)
{
    struct bcache_buf *b;

    if (bc->nbuf >= bc->cap) {
        for (size_t step = 0; step < 2 * bc->nbuf; step++) {
            b = bc->bufs[bc->hand];
            bc->hand = (bc->hand + 1) % bc->nbuf;
            if (b->state == BC_META)
                continue;
            if (b->ref) {
                b->ref = 0;
                continue;
            }
            if (b->state != BC_CLEAN) {
                int r = bc_home(bc, b);
                if (r)
                    return r;
            }
            bc_unhash(bc, b);
            bc->count[b->state]--;
            bc->st.evictions++;
            *out = b;
            return 0;
        }
    }
    if (bc->nbuf == bc->nalloc) {
        size_t n = bc->nalloc * 2;
        struct bcache_buf **nb = realloc(bc->bufs, n * sizeof(*nb));
        if (!nb)
            return -ENOMEM;
        bc->bufs = nb;
        bc->nalloc = n;
    }
    b = calloc(1, sizeof(*b));
    if (!b || !(b->data = malloc(bc->bsize))) {
        free(b);
        return -ENOMEM;
    }
    bc->bufs[bc->nbuf++] = b;
    if (bc->nbuf > bc->cap && bc->nbuf - bc->cap > bc->st.overflow)
        bc->st.overflow = bc->nbuf - bc->cap;
    *out = b;
    return 0;
}

/* The cached buffer of blk, loaded from the device unless `fill` is 0
 * (the caller overwrites all of it).  Errors: those of bc_take, the
 * device's. */
static int bc_get(struct bcache *bc, uint64_t blk, int fill, struct bcache_buf **out)
{
    struct bcache_buf *b = bc_find(bc, blk);
    int r;

    if (b) {
        bc->st.hits++;
        b->ref = 1;
        *out = b;
        return 0;
    }
    bc->st.misses++;
    if (blk >= bc->dev->nblocks)
        return -EINVAL;
    r = bc_take(bc, &b);
    if (r)
        return r;
    if (fill && (r = blkdev_read(bc->dev, blk, 1, b->data))) {
        /* The buffer stays in the array, unhashed and CLEAN, for reuse. */
        b->blk = UINT64_MAX;
        b->state = BC_CLEAN;
        b->ref = 0;
        b->hnext = bc->hash[bc_hash(bc, b->blk)];
        bc->hash[bc_hash(bc, b->blk)] = b;
        bc->count[BC_CLEAN]++;
        return r;
    }
    b->blk = blk;
    b->state = BC_CLEAN;
    b->ref = 1;
    b->hnext = bc->hash[bc_hash(bc, blk)];
    bc->hash[bc_hash(bc, blk)] = b;
    bc->count[BC_CLEAN]++;
    *out = b;
    return 0;
}

/* Contract in bcache.h. */
int bcache_create(struct blkdev *dev, size_t nbufs, struct bcache **out)
{
    struct bcache *bc;
    size_t nh = 16;

    if (nbufs < 16 || nbufs > (1u << 24))
        return -EINVAL;
    while (nh < 2 * nbufs)
        nh <<= 1;
    bc = calloc(1, sizeof(*bc));
    if (!bc)
        return -ENOMEM;
    bc->dev = dev;
    bc->bsize = dev->block_size;
    bc->cap = nbufs;
    bc->nalloc = 16;
    bc->bufs = calloc(bc->nalloc, sizeof(*bc->bufs));
    bc->hash = calloc(nh, sizeof(*bc->hash));
    bc->hmask = nh - 1;
    if (!bc->bufs || !bc->hash) {
        bcache_destroy(bc);
        return -ENOMEM;
    }
    *out = bc;
    return 0;
}

void bcache_destroy(struct bcache *bc)
{
    if (!bc)
        return;
    for (size_t i = 0; i < bc->nbuf; i++) {
        free(bc->bufs[i]->data);
        free(bc->bufs[i]);
    }
    free(bc->bufs);
    free(bc->hash);
    free(bc);
}

int bcache_read(struct bcache *bc, uint64_t blk, uint32_t off, uint32_t len, void *dst)
{
    struct bcache_buf *b;
    int r;

    if (off > bc->bsize || len > bc->bsize - off)
        return -EINVAL;
    r = bc_get(bc, blk, 1, &b);
    if (r)
        return r;
    memcpy(dst, b->data + off, len);
    return 0;
}

int bcache_write(struct bcache *bc, uint64_t blk, uint32_t off, uint32_t len, const void *src,
                 enum bcache_state kind)
{
    struct bcache_buf *b;
    int r;

    if (off > bc->bsize || len > bc->bsize - off || (kind != BC_DATA && kind != BC_META))
        return -EINVAL;
    r = bc_get(bc, blk, off != 0 || len != bc->bsize, &b);
    if (r)
        return r;
    if (b->state == BC_COMMITTED && kind == BC_META) {
        r = bc_home(bc, b);                 /* the copy the checkpoint owes */
        if (r)
            return r;
        bc->st.copy_outs++;
    }
    memcpy(b->data + off, src, len);
    if (b->state != kind)
        bc_set_state(bc, b, kind);
    return 0;
}

int bcache_writeback(struct bcache *bc, unsigned mask)
{
    for (size_t i = 0; i < bc->nbuf; i++) {
        struct bcache_buf *b = bc->bufs[i];
        if (b->state != BC_CLEAN && (mask & BC_MASK(b->state))) {
            int r = bc_home(bc, b);
            if (r)
                return r;
        }
    }
    return 0;
}

int bcache_visit(struct bcache *bc, enum bcache_state s,
                 int (*fn)(void *arg, uint64_t blk, const uint8_t *data), void *arg)
{
    for (size_t i = 0; i < bc->nbuf; i++) {
        struct bcache_buf *b = bc->bufs[i];
        if (b->state == s && b->blk != UINT64_MAX) {
            int r = fn(arg, b->blk, b->data);
            if (r)
                return r;
        }
    }
    return 0;
}

void bcache_retag(struct bcache *bc, enum bcache_state from, enum bcache_state to)
{
    for (size_t i = 0; i < bc->nbuf; i++)
        if (bc->bufs[i]->state == from)
            bc_set_state(bc, bc->bufs[i], to);
}

void bcache_forget(struct bcache *bc, uint64_t blk)
{
    struct bcache_buf *b = bc_find(bc, blk);

    if (!b || (b->state != BC_META && b->state != BC_DATA))
        return;
    bc_unhash(bc, b);
    bc_set_state(bc, b, BC_CLEAN);
    b->blk = UINT64_MAX;            /* a free buffer, first for the clock */
    b->ref = 0;
    b->hnext = bc->hash[bc_hash(bc, b->blk)];
    bc->hash[bc_hash(bc, b->blk)] = b;
}

int bcache_state(struct bcache *bc, uint64_t blk)
{
    struct bcache_buf *b = bc_find(bc, blk);

    return b ? b->state : -1;
}

size_t bcache_count(struct bcache *bc, enum bcache_state s)
{
    return s < BC_NSTATES ? bc->count[s] : 0;
}

size_t bcache_capacity(struct bcache *bc)
{
    return bc->cap;
}

struct blkdev *bcache_dev(struct bcache *bc)
{
    return bc->dev;
}

void bcache_get_stats(struct bcache *bc, struct bcache_stats *st)
{
    *st = bc->st;
}
