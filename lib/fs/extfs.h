/*
 * lib/fs: the libOS's ext4 file system, on libext2fs, independent of where
 * the blocks live.
 *
 *   extfs_* (this header)  namespace and file operations, sync
 *      |  libext2fs (Debian's e2fsprogs, built with musl: mk/e2fs.mk)
 *   extfs_io.c             the io_manager: byte ranges -> cache blocks
 *   bcache.h               the buffer cache (write-back, bounded, clock)
 *   journal.h              the jbd2 writer: ordered-mode transactions
 *   blkdev.h               a block device: file, memory, (Veneer extent)
 *
 * Each operation is atomic with respect to a crash: the journal commits
 * only between operations (extfs_sync, extfs_fsync, and before an
 * operation when the running transaction has grown to half of its limit).
 * So a rename over a file leaves the old or the new one.  File data is
 * written in ordered mode: it reaches its blocks before the metadata that
 * points at it commits.  fsync and fdatasync commit the whole running
 * transaction (as jbd2 does).  An image without a journal works too
 * (ext2 semantics: sync writes metadata in place).
 *
 * An image that needs recovery (cut while mounted) is replayed at mount,
 * from its journal, by lib/fs itself (journal_replay.c).
 *
 * Limits: the file system's block size must equal the device's; no
 * extended attributes, no inline data, no quota updates.  No permission
 * checks: the POSIX libOS owns them.  Open-file lifetimes: the caller
 * says which inodes it holds open (extfs_opts.in_use); an unlinked one it
 * holds stays on ext4's orphan list until extfs_release, and mount frees
 * whatever a crash left there.  Paths are absolute, '/'-separated,
 * resolved from the root; symlinks are followed except in the last
 * component.  Errors are negative Linux errno values.  Not thread-safe:
 * the caller serialises.
 */
#ifndef VENEER_FS_EXTFS_H
#define VENEER_FS_EXTFS_H

#include <stddef.h>
#include <stdint.h>

#include "blkdev.h"

struct extfs;

struct extfs_opts {
    size_t cache_blocks;            /* buffer cache bound; 0: 1024 */
    uint64_t (*now_ns)(void);       /* timestamps; NULL: the host clock */
    /* Whether the caller holds inode ino open; NULL: nothing is.  A file
     * whose last name goes while it is open stays (on the orphan list)
     * until extfs_release. */
    int (*in_use)(void *arg, uint32_t ino);
    void *in_use_arg;
};

struct extfs_stat {
    uint32_t ino, mode, nlink, uid, gid;
    uint64_t size, blocks;          /* blocks in 512-byte units */
    int64_t atime_ns, mtime_ns, ctime_ns;
};

/* Which fields extfs_setattr changes. */
#define EXTFS_SET_MODE  0x1         /* permission bits only */
#define EXTFS_SET_UID   0x2
#define EXTFS_SET_GID   0x4
#define EXTFS_SET_ATIME 0x8
#define EXTFS_SET_MTIME 0x10

struct extfs_statfs {
    uint64_t block_size, blocks, blocks_free, blocks_avail, files, files_free;
    uint32_t name_max;
};

struct extfs_counters {
    uint64_t commits, checkpoints, log_blocks, revokes, escapes;
    uint64_t cache_hits, cache_misses, cache_evictions, home_writes, copy_outs;
    uint64_t dev_reads, dev_writes, dev_flushes;
    uint64_t replayed_transactions, replayed_blocks;    /* by mount's journal replay */
    uint64_t replayed_revoked;      /* copies replay skipped: revoked later */
    uint64_t orphans, orphans_freed;    /* open unlinked inodes now; freed at mount */
};

/* Mounts the ext2/3/4 file system on dev (which stays the caller's, and
 * must outlive the mount).  Errors: -EINVAL (not ext2/3/4, block sizes
 * differ, a journal replay cannot read), -EUCLEAN (marked with errors; a
 * journal superblock whose checksum fails), -EOPNOTSUPP (a journal this
 * writer or replay cannot handle), -ENOMEM, -EIO.  A journal that needs
 * recovery is replayed first (jnl_replay). */
int extfs_mount(struct blkdev *dev, const struct extfs_opts *o, struct extfs **out);
/* Commits, checkpoints, marks the file system clean and frees fs (also on
 * error).  Errors: -EIO. */
int extfs_unmount(struct extfs *fs);
/* Abandons fs without writing anything more (a crash, for tests). */
void extfs_abandon(struct extfs *fs);

/* Makes every completed operation durable (a commit).  Errors: -EIO,
 * -E2BIG (see jnl_commit). */
int extfs_sync(struct extfs *fs);
/* fsync(2) of ino: the same commit.  Errors: -ENOENT, those of extfs_sync. */
int extfs_fsync(struct extfs *fs, uint32_t ino);

/* The inode of path.  Errors: -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG. */
int extfs_lookup(struct extfs *fs, const char *path, uint32_t *ino);
/* A new empty regular file (mode: permission bits).  Errors: -EEXIST,
 * -ENOENT/-ENOTDIR (the parent), -ENOSPC, -ENAMETOOLONG, -EIO. */
int extfs_create(struct extfs *fs, const char *path, uint32_t mode, uint32_t *ino);
int extfs_mkdir(struct extfs *fs, const char *path, uint32_t mode);
int extfs_symlink(struct extfs *fs, const char *target, const char *path);
/* A second name for a non-directory.  Errors: -EPERM (a directory), those
 * of extfs_create. */
int extfs_link(struct extfs *fs, const char *oldpath, const char *newpath);
/* Removes a non-directory's name; the inode is freed with its last name.
 * Errors: -ENOENT, -EISDIR, -EIO. */
int extfs_unlink(struct extfs *fs, const char *path);
/* The caller's last open reference to ino went: if its last name is
 * gone too (an orphan), it is taken off the orphan list and freed; else
 * nothing.  Errors: -ENOENT (not an orphan and no names), -EIO. */
int extfs_release(struct extfs *fs, uint32_t ino);
/* Errors: -ENOENT, -ENOTDIR, -ENOTEMPTY, -EBUSY (the root), -EIO. */
int extfs_rmdir(struct extfs *fs, const char *path);
/* rename(2), atomic: a file or empty directory at newpath is replaced.
 * Errors: -ENOENT, -EISDIR/-ENOTDIR (kinds differ), -ENOTEMPTY, -EINVAL
 * (a directory into itself), -ENOSPC, -EIO. */
int extfs_rename(struct extfs *fs, const char *oldpath, const char *newpath);

/* Bytes read (short at the end of the file; holes read as zeros), or an
 * error: -EISDIR, -EINVAL, -EIO. */
int64_t extfs_read(struct extfs *fs, uint32_t ino, uint64_t off, void *buf, size_t len);
/* Bytes written (all of len unless the disk fills: then what fit, or
 * -ENOSPC if nothing did); the file grows as needed, blocks are allocated
 * only where written (sparse files).  Errors: -EISDIR, -EFBIG, -ENOSPC,
 * -EIO. */
int64_t extfs_write(struct extfs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len);
/* Sets the size; blocks past it are freed, the tail of the last block
 * zeroed.  Errors: -EISDIR, -EFBIG, -EIO. */
int extfs_truncate(struct extfs *fs, uint32_t ino, uint64_t size);

int extfs_stat(struct extfs *fs, uint32_t ino, struct extfs_stat *st);
/* Changes the fields named by mask (EXTFS_SET_*) to those of st; ctime is
 * now.  Errors: -ENOENT, -EINVAL, -EIO. */
int extfs_setattr(struct extfs *fs, uint32_t ino, unsigned mask, const struct extfs_stat *st);
/* The target of symlink ino, NUL-terminated if it fits; returns its
 * length.  Errors: -EINVAL (not a symlink), -ERANGE (size too small), -EIO. */
int extfs_readlink(struct extfs *fs, uint32_t ino, char *buf, size_t size);
/* Calls fn for every entry of directory ino but "." and ".." (type:
 * FS_DT_* values, d_type of Linux) until it returns nonzero, which
 * extfs_readdir then returns.  Errors: -ENOTDIR, -EIO. */
int extfs_readdir(struct extfs *fs, uint32_t ino,
                  int (*fn)(void *arg, const char *name, size_t len, uint32_t ino, int type),
                  void *arg);
int extfs_statfs(struct extfs *fs, struct extfs_statfs *st);
void extfs_get_counters(struct extfs *fs, struct extfs_counters *c);

#endif
