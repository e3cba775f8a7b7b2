/*
 * lib/fs's ext4 layer: mount, unmount, sync, and the glue between
 * libext2fs, the buffer cache and the journal (extfs.h has the design).
 *
 * Mount opens the file system through extfs_io_manager, reads the
 * bitmaps, and, if it has a journal, maps the journal inode's blocks,
 * sets needs_recovery in the superblock (written in place and flushed
 * before any transaction: e2fsck and Linux then know to replay) and opens
 * the journal writer.  A file system that needs recovery (a power cut
 * while it was mounted) is first replayed (journal_replay.c) and opened
 * again.  libext2fs keeps the bitmaps, group descriptors and
 * superblock in memory; a commit first has it write them (ext2fs_flush2,
 * which only fills the cache) so that they join the transaction.  Only
 * the primary superblock and descriptors are updated, as Linux does.
 * Freed blocks reach the journal through libext2fs's allocation-stats
 * callbacks (revokes, see journal.h), and stay unallocatable until the
 * transaction that freed them commits.  Unmount commits, checkpoints, then
 * clears needs_recovery in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extfs_impl.h"

int extfs_errno(errcode_t e)
{
    if (e == 0)
        return 0;
    if (e > 0 && e < 4096)
        return -(int)e;
    switch (e) {
    case EXT2_ET_NO_MEMORY: return -ENOMEM;
    case EXT2_ET_BLOCK_ALLOC_FAIL:
    case EXT2_ET_INODE_ALLOC_FAIL:
    case EXT2_ET_DIR_NO_SPACE:
    case EXT2_ET_EA_NO_SPACE: return -ENOSPC;
    case EXT2_ET_FILE_NOT_FOUND: return -ENOENT;
    case EXT2_ET_DIR_EXISTS:
    case EXT2_ET_FILE_EXISTS: return -EEXIST;
    case EXT2_ET_NO_DIRECTORY: return -ENOTDIR;
    case EXT2_ET_SYMLINK_LOOP: return -ELOOP;
    case EXT2_ET_FILE_TOO_BIG: return -EFBIG;
    case EXT2_ET_BAD_MAGIC:
    case EXT2_ET_UNSUPP_FEATURE:
    case EXT2_ET_RO_UNSUPP_FEATURE:
    case EXT2_ET_SB_CSUM_INVALID:
    case EXT2_ET_CORRUPT_SUPERBLOCK:
    case EXT2_ET_INVALID_ARGUMENT: return -EINVAL;
    default: return -EIO;
    }
}

static uint64_t host_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t extfs_now(struct extfs *fs)
{
    return (int64_t)fs->now_ns();
}

/* ext4's time encoding: 32 bits of seconds in the base field; in the
 * _extra field, nanoseconds << 2 and two epoch bits extending the
 * seconds. */
static void time_enc(int64_t ns, __u32 *base, __u32 *extra, int has_extra)
{
    int64_t sec = ns / 1000000000, nsec = ns % 1000000000;

    if (nsec < 0) {
        nsec += 1000000000;
        sec--;
    }
    *base = (__u32)sec;
    if (has_extra)
        *extra = (__u32)(nsec << 2) | (__u32)(((sec - (int32_t)sec) >> 32) & 3);
}

static int64_t time_dec(__u32 base, __u32 extra, int has_extra)
{
    int64_t sec = (int32_t)base;

    if (!has_extra)
        return sec * 1000000000;
    sec += (int64_t)(extra & 3) << 32;
    return sec * 1000000000 + (extra >> 2);
}

/* The _extra time fields exist when i_extra_isize covers them. */
static int has_extra(const struct ext2_inode_large *in, size_t field_end)
{
    return (size_t)EXT2_GOOD_OLD_INODE_SIZE + in->i_extra_isize >= field_end;
}

#define XEND(f) (offsetof(struct ext2_inode_large, f) + sizeof(__u32))

void extfs_set_times(struct ext2_inode_large *in, unsigned which, int64_t ns)
{
    if (which & EXTFS_T_CTIME)
        time_enc(ns, &in->i_ctime, &in->i_ctime_extra, has_extra(in, XEND(i_ctime_extra)));
    if (which & EXTFS_T_MTIME)
        time_enc(ns, &in->i_mtime, &in->i_mtime_extra, has_extra(in, XEND(i_mtime_extra)));
    if (which & EXTFS_T_ATIME)
        time_enc(ns, &in->i_atime, &in->i_atime_extra, has_extra(in, XEND(i_atime_extra)));
}

int64_t extfs_get_time(const struct ext2_inode_large *in, unsigned which)
{
    if (which == EXTFS_T_CTIME)
        return time_dec(in->i_ctime, in->i_ctime_extra, has_extra(in, XEND(i_ctime_extra)));
    if (which == EXTFS_T_MTIME)
        return time_dec(in->i_mtime, in->i_mtime_extra, has_extra(in, XEND(i_mtime_extra)));
    return time_dec(in->i_atime, in->i_atime_extra, has_extra(in, XEND(i_atime_extra)));
}

int extfs_ft(uint32_t mode)
{
    switch (mode & LINUX_S_IFMT) {
    case LINUX_S_IFREG: return EXT2_FT_REG_FILE;
    case LINUX_S_IFDIR: return EXT2_FT_DIR;
    case LINUX_S_IFLNK: return EXT2_FT_SYMLINK;
    case LINUX_S_IFCHR: return EXT2_FT_CHRDEV;
    case LINUX_S_IFBLK: return EXT2_FT_BLKDEV;
    case LINUX_S_IFIFO: return EXT2_FT_FIFO;
    case LINUX_S_IFSOCK: return EXT2_FT_SOCK;
    default: return EXT2_FT_UNKNOWN;
    }
}

/* Any inode, reserved ones included (the journal's). */
static int read_inode_raw(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
    if (ino < 1 || ino > fs->efs->super->s_inodes_count)
        return -ENOENT;
    memset(in, 0, sizeof(*in));
    return extfs_errno(ext2fs_read_inode_full(fs->efs, ino, (struct ext2_inode *)in, sizeof(*in)));
}

/* The namespace's inodes only: the root and those from s_first_ino on
 * (a caller's inode number never reaches the journal or resize inode). */
int extfs_read_inode(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
    if (ino != EXT2_ROOT_INO && ino < EXT2_FIRST_INO(fs->efs->super))
        return -ENOENT;
    return read_inode_raw(fs, ino, in);
}

int extfs_write_inode(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
    return extfs_errno(ext2fs_write_inode_full(fs->efs, ino, (struct ext2_inode *)in, sizeof(*in)));
}

/* libext2fs's allocation callbacks.  A block freed by the running
 * transaction may need a revoke, and must not be allocated again before
 * that transaction commits: its new contents (data go home before the
 * commit) would otherwise overwrite what the committed state still points
 * at.  So it is marked in use again in the in-memory bitmap (only the
 * allocator reads it; the free counts already count it free) and released
 * just before the commit writes the bitmaps. */
static void on_block_stats(ext2_filsys efs, blk64_t blk, int inuse)
{
    struct extfs *fs = efs->priv_data;
    int r;

    if (inuse >= 0)
        return;
    if (!fs->jnl) {
        bcache_forget(fs->bc, blk);
        return;
    }
    if ((r = jnl_revoke(fs->jnl, blk)) && !fs->err)
        fs->err = r;
    if (fs->ndeferred == fs->deferred_cap) {
        size_t n = fs->deferred_cap ? fs->deferred_cap * 2 : 256;
        uint64_t *d = realloc(fs->deferred, n * sizeof(*d));
        if (!d) {
            if (!fs->err)
                fs->err = -ENOMEM;
            return;
        }
        fs->deferred = d;
        fs->deferred_cap = n;
    }
    fs->deferred[fs->ndeferred++] = blk;
    ext2fs_mark_block_bitmap2(efs->block_map, blk);
}

/* Makes the blocks freed by the running transaction free in the bitmap
 * again, before the commit writes it. */
static void release_deferred(struct extfs *fs)
{
    for (size_t i = 0; i < fs->ndeferred; i++)
        ext2fs_unmark_block_bitmap2(fs->efs->block_map, fs->deferred[i]);
    if (fs->ndeferred)
        ext2fs_mark_bb_dirty(fs->efs);
    fs->ndeferred = 0;
}

static void on_block_range_stats(ext2_filsys efs, blk64_t blk, blk_t num, int inuse)
{
    for (blk_t i = 0; i < num; i++)
        on_block_stats(efs, blk + i, inuse);
}

/* The device blocks of the journal inode, in order.  Errors: -EINVAL (an
 * external journal, a hole), -ENOMEM, -EIO. */
static int journal_map(struct extfs *fs, uint64_t **out, uint32_t *n)
{
    ext2_filsys efs = fs->efs;
    ext2_ino_t jino = efs->super->s_journal_inum;
    struct ext2_inode_large in;
    uint64_t *map, nb;
    int r;

    for (size_t i = 0; i < sizeof(efs->super->s_journal_uuid); i++)
        if (efs->super->s_journal_uuid[i])
            return -EINVAL;                 /* an external journal */
    if (ext2fs_has_feature_journal_dev(efs->super) || jino == 0)
        return -EINVAL;
    r = read_inode_raw(fs, jino, &in);
    if (r)
        return r;
    nb = EXT2_I_SIZE(&in) / efs->blocksize;
    if (nb < 2 || nb > UINT32_MAX)
        return -EINVAL;
    map = malloc(nb * sizeof(*map));
    if (!map)
        return -ENOMEM;
    for (uint64_t i = 0; i < nb; i++) {
        blk64_t p = 0;
        errcode_t e = ext2fs_bmap2(efs, jino, (struct ext2_inode *)&in, NULL, 0, i, NULL, &p);
        if (e || p == 0) {
            free(map);
            return e ? extfs_errno(e) : -EINVAL;
        }
        map[i] = p;
    }
    *out = map;
    *n = (uint32_t)nb;
    return 0;
}

/* Writes what libext2fs holds in memory (bitmaps, descriptors, super)
 * into the cache.  Errors: -EIO. */
static int fs_flush_meta(struct extfs *fs)
{
    if (!(fs->efs->flags & (EXT2_FLAG_DIRTY | EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY)))
        return 0;
    return extfs_errno(ext2fs_flush2(fs->efs, EXT2_FLAG_FLUSH_NO_SYNC));
}

/* Metadata straight home, unjournaled, and flushed. */
static int fs_write_in_place(struct extfs *fs)
{
    int r = fs_flush_meta(fs);

    if (!r)
        r = bcache_writeback(fs->bc, BC_MASK(BC_DATA) | BC_MASK(BC_META) | BC_MASK(BC_COMMITTED));
    return r ? r : blkdev_flush(fs->dev);
}

/* Contract in extfs.h. */
int extfs_sync(struct extfs *fs)
{
    int r;

    if (fs->err)
        return fs->err;
    if (!fs->jnl)
        return fs_write_in_place(fs);
    release_deferred(fs);
    r = fs_flush_meta(fs);
    return r ? r : jnl_commit(fs->jnl);
}

int extfs_fsync(struct extfs *fs, uint32_t ino)
{
    struct ext2_inode_large in;
    int r = extfs_read_inode(fs, ino, &in);

    if (r)
        return r;
    if (in.i_links_count == 0 && (in.i_mode == 0 || !extfs_is_open(fs, ino)))
        return -ENOENT;
    return extfs_sync(fs);
}

int extfs_op_begin(struct extfs *fs)
{
    if (fs->err)
        return fs->err;
    if (fs->jnl && bcache_count(fs->bc, BC_META) >= jnl_max_transaction(fs->jnl) / 2)
        return extfs_sync(fs);
    return 0;
}

static void fs_free(struct extfs *fs)
{
    if (fs->efs) {
        fs->efs->flags &= ~(EXT2_FLAG_DIRTY | EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY);
        ext2fs_free(fs->efs);
    }
    bcache_destroy(fs->bc);
    free(fs->deferred);
    free(fs->zero);
    free(fs);
}

/* libext2fs's handle on fs->bc.  Errors: extfs_errno's. */
static int fs_open(struct extfs *fs)
{
    char name[48];
    errcode_t e;

    extfs_io_name(fs->bc, name, sizeof(name));
    e = ext2fs_open2(name, NULL, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, extfs_io_manager, &fs->efs);
    if (e) {
        fs->efs = NULL;
        return extfs_errno(e);
    }
    fs->efs->priv_data = fs;
    fs->efs->flags |= EXT2_FLAG_MASTER_SB_ONLY;
    return 0;
}

/* The file system needs recovery: replay its journal onto the device
 * (journal_replay.c), then open it again on a fresh cache, since the
 * replay rewrote blocks under the old one (the superblock among them).
 * needs_recovery stays set: mount sets it anyway before the first
 * transaction.  Errors: jnl_replay's, journal_map's, fs_open's. */
static int fs_replay(struct extfs *fs)
{
    struct jnl_replay_stats st;
    uint64_t *map;
    uint32_t nmap;
    size_t nbufs = bcache_capacity(fs->bc);
    int r = journal_map(fs, &map, &nmap);

    if (r)
        return r;
    r = jnl_replay(fs->dev, map, nmap, &st);
    free(map);
    if (r)
        return r;
    fs->replayed = st;
    fs->efs->flags &= ~(EXT2_FLAG_DIRTY | EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY);
    ext2fs_free(fs->efs);
    fs->efs = NULL;
    bcache_destroy(fs->bc);
    fs->bc = NULL;
    r = bcache_create(fs->dev, nbufs, &fs->bc);
    return r ? r : fs_open(fs);
}

/* Contract in extfs.h. */
int extfs_mount(struct blkdev *dev, const struct extfs_opts *o, struct extfs **out)
{
    struct extfs *fs = calloc(1, sizeof(*fs));
    uint64_t *map = NULL;
    uint32_t nmap = 0;
    int r;

    if (!fs)
        return -ENOMEM;
    fs->dev = dev;
    fs->now_ns = o && o->now_ns ? o->now_ns : host_now_ns;
    fs->in_use = o ? o->in_use : NULL;
    fs->in_use_arg = o ? o->in_use_arg : NULL;
    r = bcache_create(dev, o && o->cache_blocks ? o->cache_blocks : 1024, &fs->bc);
    if (r || !(fs->zero = calloc(1, dev->block_size))) {
        fs_free(fs);
        return r ? r : -ENOMEM;
    }
    r = fs_open(fs);
    if (r) {
        fs_free(fs);
        return r;
    }
    r = -EINVAL;
    if (fs->efs->blocksize != dev->block_size)
        goto fail;
    if (ext2fs_has_feature_journal_needs_recovery(fs->efs->super) &&
        ext2fs_has_feature_journal(fs->efs->super)) {
        r = fs_replay(fs);
        if (r)
            goto fail;
    }
    r = -EUCLEAN;
    if (fs->efs->super->s_state & EXT2_ERROR_FS)
        goto fail;
    r = extfs_errno(ext2fs_read_bitmaps(fs->efs));
    if (r)
        goto fail;
    if (ext2fs_has_feature_journal(fs->efs->super)) {
        struct jnl_params p = { 0 };

        r = journal_map(fs, &map, &nmap);
        if (r)
            goto fail;
        ext2fs_set_feature_journal_needs_recovery(fs->efs->super);
        ext2fs_mark_super_dirty(fs->efs);
        r = fs_write_in_place(fs);
        if (r)
            goto fail;
        p.map = map;
        p.nmap = nmap;
        p.is64 = ext2fs_has_feature_64bit(fs->efs->super);
        p.csum = ext2fs_has_feature_metadata_csum(fs->efs->super);
        p.now_ns = fs->now_ns;
        r = jnl_open(fs->bc, &p, &fs->jnl);
        free(map);
        map = NULL;
        if (r)
            goto fail;
    }
    ext2fs_set_block_alloc_stats_callback(fs->efs, on_block_stats, NULL);
    ext2fs_set_block_alloc_stats_range_callback(fs->efs, on_block_range_stats, NULL);
    /* Files unlinked while open when the system went down. */
    if (fs->efs->super->s_last_orphan && (r = extfs_free_orphans(fs)))
        goto fail;
    *out = fs;
    return 0;
fail:
    free(map);
    fs_free(fs);
    return r;
}

/* Contract in extfs.h. */
int extfs_unmount(struct extfs *fs)
{
    int r = fs->err;

    release_deferred(fs);
    if (!r)
        r = fs_flush_meta(fs);
    if (fs->jnl) {
        int rj = r ? (jnl_close(fs->jnl), r) : jnl_close(fs->jnl);
        fs->jnl = NULL;
        r = rj;
        if (!r) {
            ext2fs_clear_feature_journal_needs_recovery(fs->efs->super);
            ext2fs_mark_super_dirty(fs->efs);
        }
    }
    if (!r)
        r = fs_write_in_place(fs);
    if (!r)
        r = extfs_errno(ext2fs_close2(fs->efs, EXT2_FLAG_FLUSH_NO_SYNC));
    else
        ext2fs_free(fs->efs);
    fs->efs = NULL;
    if (!r)
        r = bcache_writeback(fs->bc, ~0u);
    if (!r)
        r = blkdev_flush(fs->dev);
    fs_free(fs);
    return r;
}

void extfs_abandon(struct extfs *fs)
{
    if (fs->jnl) {
        /* Free without writing: a broken journal writes nothing more. */
        struct jnl *j = fs->jnl;
        fs->jnl = NULL;
        jnl_abandon(j);
    }
    fs_free(fs);
}

void extfs_get_counters(struct extfs *fs, struct extfs_counters *c)
{
    struct bcache_stats bs;
    struct jnl_stats js = { 0 };

    bcache_get_stats(fs->bc, &bs);
    if (fs->jnl)
        jnl_get_stats(fs->jnl, &js);
    memset(c, 0, sizeof(*c));
    c->commits = js.commits;
    c->checkpoints = js.checkpoints;
    c->log_blocks = js.log_blocks;
    c->revokes = js.revokes;
    c->escapes = js.escapes;
    c->cache_hits = bs.hits;
    c->cache_misses = bs.misses;
    c->cache_evictions = bs.evictions;
    c->home_writes = bs.home_writes;
    c->copy_outs = bs.copy_outs;
    c->dev_reads = fs->dev->nreads;
    c->dev_writes = fs->dev->nwrites;
    c->dev_flushes = fs->dev->nflushes;
    c->replayed_transactions = fs->replayed.transactions;
    c->replayed_blocks = fs->replayed.blocks;
    c->replayed_revoked = fs->replayed.skipped;
    c->orphans = fs->orphans;
    c->orphans_freed = fs->orphans_freed;
}
