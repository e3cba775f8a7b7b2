/*
 * The disk file system: what the POSIX libOS and fsd (user/fsd.c, the
 * instance's file-system server) share in the arena.  fsd holds the disk
 * extent and its request queue and runs lib/fs (ext4 on libext2fs, the
 * buffer cache, the journal); processes reach it through request slots
 * in this table.  Each field says who writes it: (P) the processes,
 * under the arena lock; (F) fsd alone, which never takes the lock.
 *
 *   a process takes a free slot (used = 1, under the lock), fills the
 *   request (op, arguments; paths and written bytes in the slot's data
 *   buffer), bumps req_seq, signals fsd's notification word (FSD_KICK)
 *   and sleeps on the epoch until done_seq == req_seq; then it reads the
 *   result (and the bytes read into the buffer) and frees the slot.
 *   fsd serves one request at a time, in slot order, and bumps the epoch
 *   after each.
 *
 * fsd copies every request field before it uses it and checks them: op,
 * lengths (at most FSD_DATA), the data pointer (inside the arena), paths
 * (NUL-terminated within FSD_PATH_MAX).  Inode numbers are checked by
 * lib/fs.  Results are 0 or a byte count, or -Linux errno.
 */
#ifndef POSIX_FSD_H
#define POSIX_FSD_H

#include <stdint.h>

#include "../fs/extfs.h"

#define FSD_SLOTS     4
#define FSD_DATA      65536         /* bytes a slot's buffer holds: a read or write moves at most this */
#define FSD_PATH_MAX  4096          /* a path in the buffer, with its NUL; the second at FSD_PATH_MAX */
#define FSD_KICK      0x1           /* fsd's notification bit for processes */
#define FSD_QUOTA     8192          /* pages: lib/fs's cache and libext2fs's tables, the queue */
#define FSD_COMMIT_NS 5000000000ull /* changes not fsync'd are committed within this (as jbd2's 5 s) */

enum fsd_op {
    FSD_OP_LOOKUP = 1,  /* path (FSD_FOLLOW: the last symlinks too) -> ino, st */
    FSD_OP_CREATE,      /* path, mode (permission bits), FSD_EXCL -> ino, st (an existing file without EXCL) */
    FSD_OP_MKDIR,       /* path, mode */
    FSD_OP_SYMLINK,     /* path, the target as the second path */
    FSD_OP_LINK,        /* path (existing), second path (new) */
    FSD_OP_UNLINK,      /* path */
    FSD_OP_RMDIR,       /* path */
    FSD_OP_RENAME,      /* path, second path */
    FSD_OP_STAT,        /* ino -> st */
    FSD_OP_SETATTR,     /* ino, mode = EXTFS_SET_* mask, st -> st */
    FSD_OP_READ,        /* ino, off, len -> bytes in the buffer */
    FSD_OP_WRITE,       /* ino, off, len bytes of the buffer (FSD_APPEND: at the end, off ignored; FSD_SYNC:
                           then commit) -> bytes written; st.size: where they end */
    FSD_OP_TRUNCATE,    /* ino, off = the new size (FSD_SYNC: then commit) */
    FSD_OP_READLINK,    /* ino -> the target in the buffer, its length */
    FSD_OP_READDIR,     /* ino, off = entries to skip -> fsd_dirent records in the buffer, bytes; next */
    FSD_OP_STATFS,      /* -> struct extfs_statfs in the buffer */
    FSD_OP_FSYNC,       /* ino: journal commit + device flush */
    FSD_OP_SYNC,        /* everything: the same */
    FSD_OP_OPEN,        /* ino: one more open reference (an unlinked file then stays) */
    FSD_OP_CLOSE,       /* ino: one fewer; the last of an unlinked file frees it */
    FSD_OP_UNMOUNT,     /* the instance ends: commit, unmount cleanly, answer, exit */
    FSD_OP_RAW_READ,    /* the raw extent (not a file system: /dev/nvme1n1): off, len -> bytes in the buffer */
    FSD_OP_RAW_WRITE,   /* the raw extent: off, len bytes of the buffer (any alignment) */
    FSD_OP_RAW_FLUSH,   /* the raw extent: device flush */
    FSD_OP_COUNT
};

#define FSD_EXCL   0x1
#define FSD_FOLLOW 0x2
#define FSD_SYNC   0x4
#define FSD_APPEND 0x8

#define DISK_DEV   0x10300          /* st_dev of the disk's files (tmpfs has its own) */

/* One directory entry in a READDIR answer; records are 8-byte aligned. */
struct fsd_dirent {
    uint32_t ino;
    uint8_t type;               /* FS_DT_* (Linux d_type) */
    uint8_t len;                /* of name, without its NUL */
    char name[];                /* NUL-terminated */
};

struct fsd_slot {
    volatile int used;          /* (P) taken by a process */
    uint8_t *data;              /* (P) FSD_DATA bytes of the arena's heap, allocated at first use and kept */
    volatile uint32_t req_seq;  /* (P) bumped when a request is posted */
    volatile uint32_t done_seq; /* (F) req_seq of the last request served */
    int op;                     /* (P) FSD_OP_* */
    uint32_t ino;               /* (P) in; (F) out (LOOKUP, CREATE) */
    uint32_t mode;              /* (P) */
    uint32_t flags;             /* (P) FSD_* */
    uint64_t off, len;          /* (P) */
    struct extfs_stat st;       /* (P) SETATTR; (F) LOOKUP, CREATE, STAT, SETATTR */
    uint64_t next;              /* (F) READDIR: entries to skip next time (0: the end) */
    volatile int64_t result;    /* (F) */
};

struct fsd_table {
    int fsd;                    /* (P, init) an fsd serves this instance */
    int fsd_pid;                /* (P, init) its process-table entry's pid (ps lists it; kill -9 ends it) */
    volatile int down;          /* (P) fsd has gone: every disk request fails with EIO (disk.c) */
    volatile int state;         /* (F) 0 starting, 1 mounted, 2 unmounted, -errno: the mount failed */
    struct fsd_slot slots[FSD_SLOTS];
    volatile uint64_t raw_bytes; /* (F) size of the raw extent fsd serves as a device file (0: none) */
    /* (F) counters, for tests and /proc */
    volatile uint64_t requests, commits, flushes, replayed;
};

#endif
