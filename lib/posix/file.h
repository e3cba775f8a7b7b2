/*
 * One table of operations per kind of open file (Plan 9's Dev, Linux's
 * file_operations).  An open-file description (struct ofd, in the arena)
 * records its kind as a small integer; the descriptor layer (fd.c) maps
 * the kind to its table through file_ops_of() and calls through it, so a
 * new kind of file is a new table in a file of its own plus one line in
 * fd.c's kind table, not a case in every call.
 *
 *   descriptor (private)   description (arena)       kind's table (libOS text)
 *   me.fds[fd] ---------> struct ofd {kind, refs, --> struct file_ops
 *                           flags, pos, node|pipe|      read write poll ioctl
 *                           sock|gen|ep|...}            stat seek pread close ...
 *
 * The kind is stored rather than a pointer to the table because the arena
 * is writable by every process of the instance: an index is checked before
 * use (file_ops_of), a code pointer could not be.
 *
 * Every kind wakes its waiters through the arena's epoch (shm_event; netd
 * bumps it too), so a poll operation only reports readiness: one word to
 * sleep on serves poll, select and epoll over any mixture of kinds.
 *
 * A NULL operation means the default the descriptor layer documents next
 * to each field.  The lock column says whether the arena lock is held on
 * entry.
 */
#ifndef POSIX_FILE_H
#define POSIX_FILE_H

#include <stdbool.h>
#include <stdint.h>

struct ofd;

/* poll bits, as Linux numbers them */
#define PL_IN    0x001
#define PL_PRI   0x002
#define PL_OUT   0x004
#define PL_ERR   0x008
#define PL_HUP   0x010
#define PL_NVAL  0x020
#define PL_RDHUP 0x2000

struct file_ops {
    const char *name;                   /* for traces */
    /* read/write(o, buf, n): bytes moved or -errno; may block (no lock).
     * NULL read: EINVAL; NULL write: EINVAL.  buf is checked already. */
    long (*read)(struct ofd *o, void *buf, uint64_t n);
    long (*write)(struct ofd *o, const void *buf, uint64_t n);
    /* pread/pwrite at an offset (no lock).  NULL: ESPIPE. */
    long (*pread)(struct ofd *o, void *buf, uint64_t n, uint64_t off);
    long (*pwrite)(struct ofd *o, const void *buf, uint64_t n, uint64_t off);
    /* PL_* bits ready now (lock held; never blocks), and in *seq a count
     * that moves whenever the file's readiness may have changed (data
     * came, space freed, a peer went), so edge-triggered epoll can tell a
     * new event from an old one.  NULL: in and out, always; such files
     * (memory files, devices) cannot be watched by epoll (EPERM). */
    int (*poll)(struct ofd *o, uint64_t *seq);
    /* ioctl (no lock; arg unchecked).  NULL: ENOTTY. */
    long (*ioctl)(struct ofd *o, unsigned long req, uint64_t arg);
    /* fill a struct stat (lock held, st checked).  Never NULL. */
    void (*stat)(struct ofd *o, struct l_stat *st);
    /* lseek (no lock).  NULL: ESPIPE. */
    long (*seek)(struct ofd *o, int64_t off, int whence);
    /* getdents64 (lock held, buf checked).  NULL: ENOTDIR. */
    long (*getdents)(struct ofd *o, void *buf, uint64_t n);
    /* the last reference went (lock held).  NULL: nothing to free. */
    void (*close)(struct ofd *o);
    bool write_any_mode;                /* writable whatever the access mode (tty, /dev/null) */
};

/* The table of each kind and the one of no known kind (fd.c). */
extern const struct file_ops *const file_kinds[];
extern const unsigned file_nkinds;
extern const struct file_ops file_bad_ops;

/* The table of a description's kind; a corrupt kind gets a table that
 * fails every call with EBADF.  Inline: every call on a descriptor goes
 * through it.  file_ops_of(o) is this for o's kind (posix.h). */
static inline const struct file_ops *file_ops_of_kind(int kind)
{
    unsigned k = (unsigned)kind;
    return k < file_nkinds && file_kinds[k] ? file_kinds[k] : &file_bad_ops;
}

/* The kinds' tables, each in the file of its kind. */
extern const struct file_ops memfile_ops, memdir_ops;     /* memfile.c */
extern const struct file_ops pipe_r_ops, pipe_w_ops;      /* pipe.c */
extern const struct file_ops tty_ops;                     /* tty.c */
extern const struct file_ops null_ops, zero_ops;          /* dev.c */
extern const struct file_ops gen_ops, procdir_ops;        /* procfs.c */
extern const struct file_ops sock_ops;                    /* sock.c */
extern const struct file_ops epoll_ops;                   /* epoll.c */
extern const struct file_ops eventfd_ops;                 /* eventfd.c */
extern const struct file_ops timerfd_ops;                 /* timerfd.c */
extern const struct file_ops signalfd_ops;                /* signalfd.c */
extern const struct file_ops diskfile_ops, diskdir_ops;   /* diskfile.c: the root on disk (fsd) */
extern const struct file_ops blkfile_ops;                 /* blkfile.c: a raw extent (fsd) */

/* lseek within [0, size] for kinds with a byte offset (fd.c); lock held.
 * EINVAL for a bad whence or a negative result. */
long ofd_seek_sized(struct ofd *o, int64_t off, int whence, uint64_t size);

/* A stat for a file with no node: the device number, inode, mode, rdev
 * (dev.c). */
void file_stat_synthetic(struct l_stat *st, uint64_t ino, uint32_t mode, uint64_t rdev);

#endif
