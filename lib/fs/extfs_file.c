/*
 * lib/fs's ext4 layer: file data (read, write, truncate).
 *
 * Data bypasses libext2fs's file API so that it can enter the cache as
 * DATA (ordered mode, see bcache.h): each block is mapped with
 * ext2fs_bmap2, allocating it on a write to a hole (libext2fs zeroes a new
 * block through the io_manager as metadata; our write then turns it into
 * data in the cache, so no zeros reach the disk), and an uninitialised
 * extent block is marked initialised when written.  Holes and
 * uninitialised blocks read as zeros.  A long write is cut into chunks
 * with a commit check between them (each chunk is its own operation).
 */
#include <errno.h>
#include <string.h>

#include "extfs_impl.h"

#define CHUNK_BLOCKS 256
#define FILE_MAX (1ull << 44)       /* 16 TiB: ext4's limit at 4 KiB blocks */

static int reg_inode(struct extfs *fs, uint32_t ino, struct ext2_inode_large *in)
{
    int r = extfs_read_inode(fs, ino, in);

    if (r)
        return r;
    if (in->i_links_count == 0 && (in->i_mode == 0 || !extfs_is_open(fs, ino)))
        return -ENOENT;                 /* freed, or gone and not held open */
    if (LINUX_S_ISDIR(in->i_mode))
        return -EISDIR;
    if (!LINUX_S_ISREG(in->i_mode) && !LINUX_S_ISLNK(in->i_mode))
        return -EINVAL;
    return 0;
}

/* Contract in extfs.h. */
int64_t extfs_read(struct extfs *fs, uint32_t ino, uint64_t off, void *buf, size_t len)
{
    struct ext2_inode_large in;
    uint32_t bs = fs->efs->blocksize;
    uint64_t size;
    size_t done = 0;
    int r = reg_inode(fs, ino, &in);

    if (r)
        return r;
    size = EXT2_I_SIZE(&in);
    if (off >= size)
        return 0;
    if (len > size - off)
        len = (size_t)(size - off);
    while (done < len) {
        uint64_t pos = off + done, lblk = pos / bs;
        uint32_t in_blk = (uint32_t)(pos % bs);
        size_t n = bs - in_blk < len - done ? bs - in_blk : len - done;
        blk64_t pblk = 0;
        int flags = 0;
        errcode_t e = ext2fs_bmap2(fs->efs, ino, (struct ext2_inode *)&in, NULL, 0, lblk, &flags, &pblk);

        if (e)
            return extfs_errno(e);
        if (pblk == 0 || (flags & BMAP_RET_UNINIT))
            memset((uint8_t *)buf + done, 0, n);
        else if ((r = bcache_read(fs->bc, pblk, in_blk, (uint32_t)n, (uint8_t *)buf + done)))
            return r;
        done += n;
    }
    return (int64_t)done;
}

/* Writes one chunk (at most CHUNK_BLOCKS blocks) and updates the inode.
 * Returns bytes written or an error (-ENOSPC only if nothing fit). */
static int64_t write_chunk(struct extfs *fs, uint32_t ino, uint64_t off, const uint8_t *buf, size_t len)
{
    struct ext2_inode_large in;
    uint32_t bs = fs->efs->blocksize;
    size_t done = 0;
    int r = reg_inode(fs, ino, &in);

    if (r)
        return r;
    while (done < len) {
        uint64_t pos = off + done, lblk = pos / bs;
        uint32_t in_blk = (uint32_t)(pos % bs);
        uint32_t n = (uint32_t)(bs - in_blk < len - done ? bs - in_blk : len - done);
        blk64_t pblk = 0;
        int flags = 0, fresh = 0;
        errcode_t e = ext2fs_bmap2(fs->efs, ino, (struct ext2_inode *)&in, NULL, 0, lblk, &flags, &pblk);

        if (!e && pblk == 0) {
            e = ext2fs_bmap2(fs->efs, ino, (struct ext2_inode *)&in, NULL, BMAP_ALLOC, lblk, NULL, &pblk);
            fresh = 1;
        } else if (!e && (flags & BMAP_RET_UNINIT)) {
            e = ext2fs_bmap2(fs->efs, ino, (struct ext2_inode *)&in, NULL, BMAP_SET, lblk, NULL, &pblk);
            fresh = 1;
        }
        if (!e && pblk == 0)
            e = EXT2_ET_BLOCK_ALLOC_FAIL;
        if (e) {
            r = extfs_errno(e);
            break;
        }
        if (fresh && n != bs) {
            /* The rest of a new block is zeros, not what the disk held. */
            r = bcache_write(fs->bc, pblk, 0, bs, fs->zero, BC_DATA);
            if (r)
                break;
        }
        r = bcache_write(fs->bc, pblk, in_blk, n, buf + done, BC_DATA);
        if (r)
            break;
        done += n;
    }
    if (done) {
        int64_t now = extfs_now(fs);
        if (off + done > EXT2_I_SIZE(&in) && (ext2fs_inode_size_set(fs->efs, (struct ext2_inode *)&in, off + done)))
            return -EFBIG;
        extfs_set_times(&in, EXTFS_T_CTIME | EXTFS_T_MTIME, now);
        r = extfs_write_inode(fs, ino, &in);
        if (r)
            return r;
        return (int64_t)done;
    }
    return r;
}

/* Contract in extfs.h. */
int64_t extfs_write(struct extfs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len)
{
    size_t done = 0, chunk = (size_t)CHUNK_BLOCKS * fs->efs->blocksize;

    if (off > FILE_MAX || len > FILE_MAX - off)
        return -EFBIG;
    if (len == 0) {
        struct ext2_inode_large in;
        return reg_inode(fs, ino, &in);
    }
    while (done < len) {
        size_t n = len - done < chunk ? len - done : chunk;
        int r = extfs_op_begin(fs);
        int64_t w;

        if (r)
            return done ? (int64_t)done : r;
        w = write_chunk(fs, ino, off + done, (const uint8_t *)buf + done, n);
        if (w < 0)
            return done ? (int64_t)done : w;
        done += (size_t)w;
        if ((size_t)w < n)
            break;
    }
    return (int64_t)done;
}

/* Contract in extfs.h. */
int extfs_truncate(struct extfs *fs, uint32_t ino, uint64_t size)
{
    struct ext2_inode_large in;
    uint32_t bs = fs->efs->blocksize;
    uint64_t first_free = (size + bs - 1) / bs;
    errcode_t e;
    int r = extfs_op_begin(fs);

    if (!r)
        r = reg_inode(fs, ino, &in);
    if (r)
        return r;
    if (size > FILE_MAX)
        return -EFBIG;
    if (size < EXT2_I_SIZE(&in)) {
        if (size % bs) {
            /* Zero the tail of the last block kept, if it is allocated. */
            blk64_t pblk = 0;
            int flags = 0;
            e = ext2fs_bmap2(fs->efs, ino, (struct ext2_inode *)&in, NULL, 0, size / bs, &flags, &pblk);
            if (e)
                return extfs_errno(e);
            if (pblk && !(flags & BMAP_RET_UNINIT) &&
                (r = bcache_write(fs->bc, pblk, (uint32_t)(size % bs), bs - (uint32_t)(size % bs),
                                  fs->zero, BC_DATA)))
                return r;
        }
        e = ext2fs_punch(fs->efs, ino, (struct ext2_inode *)&in, NULL, first_free, ~0ULL);
        if (e)
            return extfs_errno(e);
    }
    if (ext2fs_inode_size_set(fs->efs, (struct ext2_inode *)&in, size))
        return -EFBIG;
    extfs_set_times(&in, EXTFS_T_CTIME | EXTFS_T_MTIME, extfs_now(fs));
    return extfs_write_inode(fs, ino, &in);
}
