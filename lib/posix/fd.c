/*
 * File descriptors.  A descriptor (private to the process, copied at fork)
 * names an open-file description in the shared arena, which holds the
 * offset and status flags and is shared by dup'ed and inherited
 * descriptors, as POSIX requires.  A description's kind names its table
 * of operations (file.h): memory files and directories (memfile.c), pipe
 * ends (pipe.c), the tty (tty.c), /dev/null and /dev/zero (dev.c), /proc
 * text (procfs.c), sockets (sock.c), epoll (epoll.c), eventfds
 * (eventfd.c), disk files (diskfile.c) and the block device (blkfile.c).
 * This file holds the table of kinds, the descriptor table and the calls
 * on descriptors themselves: close, dup, fcntl, ioctl and pipe.  Paths
 * are path.c, I/O io.c, polling poll.c.
 */
#include "linux_calls.h"

#define L_F_DUPFD 0
#define L_F_GETFD 1
#define L_F_SETFD 2
#define L_F_GETFL 3
#define L_F_SETFL 4
#define L_F_DUPFD_CLOEXEC 1030

static long bad_read(struct ofd *o, void *buf, uint64_t n)
{
    (void)o, (void)buf, (void)n;
    return -L_EBADF;
}

static long bad_write(struct ofd *o, const void *buf, uint64_t n)
{
    (void)o, (void)buf, (void)n;
    return -L_EBADF;
}

static void bad_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000000, 0, 0);
}

/* What a description of no known kind gets: EBADF for everything. */
const struct file_ops file_bad_ops = {.name = "bad", .read = bad_read, .write = bad_write, .stat = bad_stat};

const struct file_ops *const file_kinds[] = {
    [OFD_FILE] = &memfile_ops,
    [OFD_DIR] = &memdir_ops,
    [OFD_PIPE_R] = &pipe_r_ops,
    [OFD_PIPE_W] = &pipe_w_ops,
    [OFD_TTY] = &tty_ops,
    [OFD_NULL] = &null_ops,
    [OFD_GEN] = &gen_ops,
    [OFD_ZERO] = &zero_ops,
    [OFD_PROCDIR] = &procdir_ops,
    [OFD_SOCK] = &sock_ops,
    [OFD_EPOLL] = &epoll_ops,
    [OFD_EVENTFD] = &eventfd_ops,
    [OFD_DISK] = &diskfile_ops,
    [OFD_DISKDIR] = &diskdir_ops,
    [OFD_BLK] = &blkfile_ops,
    [OFD_TIMERFD] = &timerfd_ops,
    [OFD_SIGNALFD] = &signalfd_ops,
};

const unsigned file_nkinds = sizeof(file_kinds) / sizeof(file_kinds[0]);

long ofd_seek_sized(struct ofd *o, int64_t off, int whence, uint64_t size)
{
    int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)o->pos : whence == 2 ? (int64_t)size : -1;
    if (base < 0 || base + off < 0)
        return -L_EINVAL;
    o->pos = (uint64_t)(base + off);
    return (long)o->pos;
}

/* A new description (refs 1); the lock is held.  NULL if none is free. */
struct ofd *ofd_new(int kind, int flags)
{
    for (int i = 0; i < MAX_OFDS; i++) {
        struct ofd *o = &shared->ofds[i];
        if (o->kind == OFD_FREE) {
            uint32_t reuse = o->reuse + 1;
            *o = (struct ofd){.kind = kind, .refs = 1, .flags = flags, .reuse = reuse};
            return o;
        }
    }
    return NULL;
}

/* Drop one reference; the lock is held. */
void ofd_put(struct ofd *o)
{
    if (--o->refs > 0)
        return;
    const struct file_ops *ops = file_ops_of(o);
    if (ops->close)
        ops->close(o);
    o->kind = OFD_FREE;
}

int fd_install(struct ofd *o, int fdflags, int min)
{
    for (int fd = min; fd < MAX_FDS; fd++) {
        if (!me.fds[fd].ofd) {
            me.fds[fd].ofd = o;
            me.fds[fd].flags = fdflags;
            return fd;
        }
    }
    return -L_EMFILE;
}

struct ofd *fd_get(int fd)
{
    return fd >= 0 && fd < MAX_FDS ? me.fds[fd].ofd : NULL;
}

static long fd_close(int fd)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    me.fds[fd].ofd = NULL;
    shm_lock();
    filelock_close(o);                  /* POSIX: any close drops the process's locks on the file */
    ofd_put(o);
    shm_unlock();
    return 0;
}

void fd_close_all(bool cloexec_only)
{
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (me.fds[fd].ofd && (!cloexec_only || (me.fds[fd].flags & FD_CLOEXEC_BIT)))
            fd_close(fd);
}

/* The child of a fork got copies of our descriptors: count them. */
void fd_fork_refs(void)
{
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (me.fds[fd].ofd)
            me.fds[fd].ofd->refs++;
    if (me.cwd)
        fs_node_get(me.cwd);
    fmap_fork_refs();
}

void fd_init_console(void)
{
    shm_lock();
    struct ofd *o = ofd_new(OFD_TTY, L_O_RDWR);
    o->refs = 3;
    shm_unlock();
    for (int fd = 0; fd < 3; fd++)
        fd_install(o, 0, fd);
}

static long sys_dup3(int old, int new, int flags, bool dup2)
{
    struct ofd *o = fd_get(old);
    if (!o || new < 0 || new >= MAX_FDS)
        return -L_EBADF;
    if (old == new)
        return dup2 ? new : -L_EINVAL;
    if (me.fds[new].ofd)
        fd_close(new);
    shm_lock();
    o->refs++;
    shm_unlock();
    me.fds[new].ofd = o;
    me.fds[new].flags = (flags & L_O_CLOEXEC) ? FD_CLOEXEC_BIT : 0;
    return new;
}

static long sys_dupfd(int old, int min, int fdflags)
{
    struct ofd *o = fd_get(old);
    if (!o)
        return -L_EBADF;
    if (min < 0 || min >= MAX_FDS)
        return -L_EINVAL;
    long fd = fd_install(o, fdflags, min);
    if (fd >= 0) {
        shm_lock();
        o->refs++;
        shm_unlock();
    }
    return fd;
}

static long sys_fcntl(int fd, int cmd, uint64_t arg)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    switch (cmd) {
    case L_F_DUPFD: return sys_dupfd(fd, (int)arg, 0);
    case L_F_DUPFD_CLOEXEC: return sys_dupfd(fd, (int)arg, FD_CLOEXEC_BIT);
    case L_F_GETFD: return me.fds[fd].flags;
    case L_F_SETFD: me.fds[fd].flags = (int)(arg & FD_CLOEXEC_BIT); return 0;
    case L_F_GETFL: return o->flags;
    case L_F_SETFL: o->flags = (o->flags & L_O_ACCMODE) | (int)(arg & (L_O_APPEND | L_O_NONBLOCK)); return 0;
    case 5: case 6: case 7: return filelock_fcntl(o, cmd, arg);     /* F_GETLK, F_SETLK(W) */
    default: return -L_EINVAL;
    }
}

static long sys_ioctl(int fd, unsigned long req, uint64_t arg)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if (req == 0x5451 || req == 0x5450) {   /* FIOCLEX, FIONCLEX */
        me.fds[fd].flags = req == 0x5451 ? FD_CLOEXEC_BIT : 0;
        return 0;
    }
    if (req == 0x5421) {                    /* FIONBIO */
        if (!mm_user_ok((void *)arg, 4, false))
            return -L_EFAULT;
        o->flags = *(int *)arg ? o->flags | L_O_NONBLOCK : o->flags & ~L_O_NONBLOCK;
        return 0;
    }
    const struct file_ops *ops = file_ops_of(o);
    return ops->ioctl ? ops->ioctl(o, req, arg) : -L_ENOTTY;
}

long lx_close(struct vn_xframe *x)
{
    LX_ARGS(x);
    return fd_close((int)a);
}

long lx_ioctl(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_ioctl((int)a, b, c);
}

/* pipe, pipe2 */
long lx_pipe(struct vn_xframe *x)
{
    LX_ARGS(x);
    int *fds = (int *)a, tmp[2];
    if (!mm_user_ok(fds, 8, true))
        return -L_EFAULT;
    long r = pipe_create(tmp, x->rax == 293 ? (int)b : 0);
    if (r == 0)
        fds[0] = tmp[0], fds[1] = tmp[1];
    return r;
}

long lx_dup(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_dupfd((int)a, 0, 0);
}

long lx_dup2(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_dup3((int)a, (int)b, 0, true);
}

long lx_dup3(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_dup3((int)a, (int)b, (int)c, false);
}

long lx_fcntl(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_fcntl((int)a, (int)b, c);
}
