/*
 * What the files of lib/fs's ext4 layer share (not an interface: see
 * extfs.h).  struct extfs ties libext2fs's handle to the cache and journal.
 */
#ifndef VENEER_FS_EXTFS_IMPL_H
#define VENEER_FS_EXTFS_IMPL_H

#include <sys/types.h>

#include <ext2fs/ext2fs.h>

#include "bcache.h"
#include "extfs.h"
#include "journal.h"

struct extfs {
    ext2_filsys efs;
    struct blkdev *dev;
    struct bcache *bc;
    struct jnl *jnl;                /* NULL: no journal (ext2 semantics) */
    uint64_t (*now_ns)(void);
    int err;                        /* first failure of a free callback */
    uint64_t *deferred;             /* blocks freed by the running transaction */
    size_t ndeferred, deferred_cap;
    uint8_t *zero;                  /* a block of zeros */
    struct jnl_replay_stats replayed;   /* what mount replayed */
    int (*in_use)(void *arg, uint32_t ino);
    void *in_use_arg;
    uint64_t orphans, orphans_freed;    /* on the list now; freed by mount */
};

/* The io_manager of extfs_io.c, and the channel name that hands it bc. */
extern io_manager extfs_io_manager;
void extfs_io_name(struct bcache *bc, char *name, size_t size);

/* libext2fs's error codes and small errnos as negative Linux errnos. */
int extfs_errno(errcode_t e);
int64_t extfs_now(struct extfs *fs);
/* Sets the inode's ctime/mtime/atime (flags 1/2/4) to ns. */
void extfs_set_times(struct ext2_inode_large *in, unsigned which, int64_t ns);
/* One of the inode's times (a single EXTFS_T_* flag) in nanoseconds. */
int64_t extfs_get_time(const struct ext2_inode_large *in, unsigned which);
/* The directory entry type (EXT2_FT_*) of an inode mode. */
int extfs_ft(uint32_t mode);
/* Reads inode ino of the namespace (the root, or s_first_ino and up:
 * never a reserved inode).  Errors: -ENOENT, -EIO. */
int extfs_read_inode(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in);
int extfs_write_inode(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in);
/* Commits if the running transaction has grown past half its limit. */
int extfs_op_begin(struct extfs *fs);
/* Whether the caller holds ino open (extfs_opts.in_use). */
static inline int extfs_is_open(struct extfs *fs, uint32_t ino)
{
    return fs->in_use && fs->in_use(fs->in_use_arg, ino);
}
/* Frees every inode on the superblock's orphan list (mount, after a
 * crash: nobody holds them open now).  Errors: -EIO, the device's. */
int extfs_free_orphans(struct extfs *fs);
/* Frees ino's blocks and the inode itself (its last name is gone). */
int extfs_free_inode(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in);

#define EXTFS_T_CTIME 1u
#define EXTFS_T_MTIME 2u
#define EXTFS_T_ATIME 4u

#endif
