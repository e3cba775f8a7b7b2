/*
 * File descriptors and the file system calls.  A descriptor (private to
 * the process, copied at fork) names an open-file description in the
 * shared arena, which holds the offset and status flags and is shared by
 * dup'ed and inherited descriptors, as POSIX requires.  A description's
 * kind names its table of operations (file.h): memory files and
 * directories (memfile.c), pipe ends (pipe.c), the tty (tty.c), /dev/null
 * and /dev/zero (dev.c), /proc text (procfs.c), sockets (sock.c).  This
 * file checks arguments and calls through the table; it knows no kind.
 * The file system itself is fs.c, in the arena, seeded from the boot archive.
 * Every user pointer is checked against the program's memory map before
 * it is touched (mm_user_ok), so bad pointers give EFAULT.
 */
#include "linux_calls.h"

#define L_F_DUPFD 0
#define L_F_GETFD 1
#define L_F_SETFD 2
#define L_F_GETFL 3
#define L_F_SETFL 4
#define L_F_DUPFD_CLOEXEC 1030
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000

/* ------------------------------------------------------------ kinds */

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

static void bad_stat(struct ofd *o, uint64_t *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000000, 0, 0);
}

/* What a description of no known kind gets: EBADF for everything. */
static const struct file_ops bad_ops = {.name = "bad", .read = bad_read, .write = bad_write, .stat = bad_stat};

static const struct file_ops *const kinds[] = {
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

const struct file_ops *file_ops_of(const struct ofd *o)
{
    unsigned k = (unsigned)o->kind;
    return k < sizeof(kinds) / sizeof(kinds[0]) && kinds[k] ? kinds[k] : &bad_ops;
}

long ofd_seek_sized(struct ofd *o, int64_t off, int whence, uint64_t size)
{
    int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)o->pos : whence == 2 ? (int64_t)size : -1;
    if (base < 0 || base + off < 0)
        return -L_EINVAL;
    o->pos = (uint64_t)(base + off);
    return (long)o->pos;
}

/* ------------------------------------------------------------ descriptions */

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

/* ------------------------------------------------------------ paths */

static bool path_ok(const char *p)
{
    return mm_str_ok(p, FS_PATH_MAX);
}

/* EFAULT for a bad pointer, ENAMETOOLONG for a readable path too long. */
static long path_err(const char *p)
{
    return mm_user_ok(p, FS_PATH_MAX, false) ? -36 : -L_EFAULT;
}

/* Starting directory for a *at call; lock held. */
static long dir_base(int dirfd, const char *path, struct fs_node **base)
{
    if (path[0] == '/' || dirfd == L_AT_FDCWD) {
        *base = me.cwd;
        return 0;
    }
    struct ofd *o = fd_get(dirfd);
    if (!o)
        return -L_EBADF;
    if (o->kind != OFD_DIR)
        return -L_ENOTDIR;
    *base = o->node;
    return 0;
}

static long lookup_at(int dirfd, const char *path, bool follow, struct fs_node **out)
{
    struct fs_node *base;
    long r = dir_base(dirfd, path, &base);
    return r < 0 ? r : fs_lookup(&shared->fs, base, path, follow, out);
}

static long parent_at(int dirfd, const char *path, struct fs_node **dir, char *name)
{
    struct fs_node *base;
    long r = dir_base(dirfd, path, &base);
    return r < 0 ? r : fs_lookup_parent(&shared->fs, base, path, dir, name);
}

static int special_kind(const char *path)
{
    if (!strcmp(path, "/dev/null"))
        return OFD_NULL;
    if (!strcmp(path, "/dev/zero"))
        return OFD_ZERO;
    if (!strcmp(path, "/dev/tty") || !strcmp(path, "/dev/console"))
        return OFD_TTY;
    if (!strcmp(path, "/dev/nvme1n1") && blkfile_present())
        return OFD_BLK;
    return OFD_FREE;
}

static long do_open(int dirfd, const char *path, int flags, uint32_t mode)
{
    if (!path_ok(path))
        return path_err(path);
    if (!strcmp(path, "/proc/self/exe"))
        path = me.exe;                          /* the running program's file */
    if (dev_fd_path(path))
        return dev_fd_open(path, flags);
    int fdflags = (flags & L_O_CLOEXEC) ? FD_CLOEXEC_BIT : 0;
    int special = special_kind(path);
    shm_lock();
    if (special) {
        struct ofd *o = ofd_new(special, flags & ~L_O_CLOEXEC);
        long fd = o ? fd_install(o, fdflags, 0) : -L_EMFILE;
        if (o && fd < 0)
            ofd_put(o);
        shm_unlock();
        return fd;
    }
    if (procfs_path(path)) {
        struct ofd *o = NULL;
        long r = procfs_open(path, &o);
        if (r == 0 && (r = fd_install(o, fdflags, 0)) < 0)
            ofd_put(o);
        shm_unlock();
        return r;
    }
    struct fs_node *n = NULL;
    long r = lookup_at(dirfd, path, !(flags & L_O_NOFOLLOW), &n);
    if (r == -L_ENOENT && (flags & L_O_CREAT)) {
        struct fs_node *dir;
        char name[FS_NAME_MAX + 1];
        r = parent_at(dirfd, path, &dir, name);
        if (r == 0)
            r = fs_create(&shared->fs, dir, name, mode & ~me.umask & 07777, &n);
        else if (r == -FS_EEXIST)
            r = -L_EISDIR;
    } else if (r == 0 && (flags & L_O_CREAT) && (flags & L_O_EXCL)) {
        r = -L_EEXIST;
    }
    if (r == 0 && fs_is_lnk(n))
        r = -40;            /* ELOOP: O_NOFOLLOW on a symlink */
    int acc = flags & L_O_ACCMODE;
    if (r == 0 && fs_is_dir(n) && (acc != 0 || (flags & L_O_CREAT)))
        r = -L_EISDIR;
    if (r == 0 && !fs_is_dir(n) && (flags & L_O_DIRECTORY))
        r = -L_ENOTDIR;
    if (r == 0 && fs_is_reg(n) && (flags & L_O_TRUNC) && acc != 0)
        r = fs_truncate(&shared->fs, n, 0);
    struct ofd *o = NULL;
    if (r == 0) {
        o = ofd_new(fs_is_dir(n) ? OFD_DIR : OFD_FILE, flags & ~(L_O_CLOEXEC | L_O_CREAT | L_O_EXCL | L_O_TRUNC));
        r = o ? 0 : -L_EMFILE;
    }
    if (r == 0) {
        o->node = n;
        fs_node_get(n);
        r = fd_install(o, fdflags, 0);
        if (r < 0)
            ofd_put(o);
    }
    shm_unlock();
    return r;
}

/* ------------------------------------------------------------ read/write */

long sys_read(int fd, void *buf, uint64_t n)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if ((o->flags & L_O_ACCMODE) == L_O_WRONLY)
        return -L_EBADF;
    if (!mm_user_ok(buf, n, true))
        return -L_EFAULT;
    const struct file_ops *ops = file_ops_of(o);
    return ops->read ? ops->read(o, buf, n) : -L_EINVAL;
}

long sys_write(int fd, const void *buf, uint64_t n)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    if ((o->flags & L_O_ACCMODE) == 0 && !ops->write_any_mode)
        return -L_EBADF;
    if (!mm_user_ok(buf, n, false))
        return -L_EFAULT;
    return ops->write ? ops->write(o, buf, n) : -L_EINVAL;
}

static long sys_pread(int fd, void *buf, uint64_t n, int64_t off, bool wr)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    if (!(wr ? (void *)ops->pwrite : (void *)ops->pread))
        return ops->pread ? -L_EBADF : -L_ESPIPE;
    if ((o->flags & L_O_ACCMODE) == (wr ? 0 : L_O_WRONLY))
        return -L_EBADF;
    if (off < 0)
        return -L_EINVAL;
    if (!mm_user_ok(buf, n, !wr))
        return -L_EFAULT;
    return wr ? ops->pwrite(o, buf, n, (uint64_t)off) : ops->pread(o, buf, n, (uint64_t)off);
}

/* readv/writev at the current position (off -1), preadv/pwritev at off:
 * each vector where the last ended, stopping at a short transfer.
 * Errors as read/pread, EINVAL for the count. */
static long sys_rw_vec(int fd, const uint64_t *iov, int cnt, int64_t off, bool wr)
{
    if (cnt < 0 || cnt > 1024)
        return -L_EINVAL;
    if (!mm_user_ok(iov, (uint64_t)cnt * 16, false))
        return -L_EFAULT;
    long total = 0;
    for (int i = 0; i < cnt; i++) {
        void *buf = (void *)iov[2 * i];
        uint64_t n = iov[2 * i + 1];
        if (n == 0 && off < 0)
            continue;
        long r = off >= 0 ? sys_pread(fd, buf, n, off + total, wr) : wr ? sys_write(fd, buf, n) : sys_read(fd, buf, n);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < n)
            break;
    }
    return total;
}

static long sys_lseek(int fd, int64_t off, int whence)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    return ops->seek ? ops->seek(o, off, whence) : -L_ESPIPE;
}

/* sendfile(out, in, offset, count) from a file that reads at an offset
 * (pread) to any writable file, through a buffer of the libOS.  Other
 * sources: EINVAL (callers fall back to read and write). */
static long sys_sendfile(int out, int in, int64_t *offp, uint64_t count)
{
    struct ofd *i = fd_get(in), *o = fd_get(out);
    if (!i || !o)
        return -L_EBADF;
    const struct file_ops *iops = file_ops_of(i), *oops = file_ops_of(o);
    if ((i->flags & L_O_ACCMODE) == L_O_WRONLY || ((o->flags & L_O_ACCMODE) == 0 && !oops->write_any_mode))
        return -L_EBADF;
    if (!iops->pread || !oops->write || i->kind == OFD_DIR)
        return -L_EINVAL;
    if (offp && !mm_user_ok(offp, 8, true))
        return -L_EFAULT;
    uint64_t pos = offp ? (uint64_t)*offp : i->pos, done = 0;
    char buf[2048];
    while (done < count) {
        uint64_t want = count - done < sizeof(buf) ? count - done : sizeof(buf);
        long r = iops->pread(i, buf, want, pos);
        if (r <= 0)
            break;
        long w = oops->write(o, buf, (uint64_t)r);
        if (w <= 0) {
            if (!done)
                return w;
            break;
        }
        pos += (uint64_t)w;
        done += (uint64_t)w;
        if (w < r)
            break;
    }
    if (offp)
        *offp = (int64_t)pos;
    else
        i->pos = pos;
    return (long)done;
}

/* ------------------------------------------------------------ stat */

static long sys_fstat(int fd, void *st)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if (!mm_user_ok(st, FS_STAT_SIZE, true))
        return -L_EFAULT;
    shm_lock();
    file_ops_of(o)->stat(o, st);
    shm_unlock();
    return 0;
}

static long sys_fstatat(int dirfd, const char *path, void *st, int flags)
{
    if (!path_ok(path))
        return path_err(path);
    if (!path[0] && (flags & AT_EMPTY_PATH))
        return sys_fstat(dirfd, st);
    if (!mm_user_ok(st, FS_STAT_SIZE, true))
        return -L_EFAULT;
    if (!strcmp(path, "/proc/self/exe"))
        path = me.exe;
    int special = special_kind(path);
    if (special) {
        struct ofd probe = {.kind = special};
        file_ops_of(&probe)->stat(&probe, st);
        return 0;
    }
    struct fs_node *n;
    shm_lock();
    long r = procfs_path(path) ? procfs_stat(path, st) : lookup_at(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &n);
    if (r == 0 && !procfs_path(path))
        fs_stat(n, st);
    shm_unlock();
    return r;
}

/* ------------------------------------------------------------ directories and names */

static long sys_getdents64(int fd, void *buf, uint64_t n)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    if (!ops->getdents)
        return -L_ENOTDIR;
    if (!mm_user_ok(buf, n, true))
        return -L_EFAULT;
    shm_lock();
    long r = ops->getdents(o, buf, n);
    shm_unlock();
    return r;
}

static long sys_getcwd(char *buf, uint64_t size)
{
    if (!mm_user_ok(buf, size, true))
        return -L_EFAULT;
    shm_lock();
    long r = fs_path_of(&shared->fs, me.cwd, buf, size);
    shm_unlock();
    return r < 0 ? r : r + 1;
}

static long set_cwd(struct fs_node *n)
{
    if (!fs_is_dir(n))
        return -L_ENOTDIR;
    fs_node_get(n);
    fs_node_put(&shared->fs, me.cwd);
    me.cwd = n;
    return 0;
}

static long sys_chdir(const char *path)
{
    if (!path_ok(path))
        return path_err(path);
    struct fs_node *n;
    shm_lock();
    long r = fs_lookup(&shared->fs, me.cwd, path, true, &n);
    if (r == 0)
        r = set_cwd(n);
    shm_unlock();
    return r;
}

static long sys_fchdir(int fd)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if (o->kind != OFD_DIR)
        return -L_ENOTDIR;
    shm_lock();
    long r = set_cwd(o->node);
    shm_unlock();
    return r;
}

static long sys_mkdirat(int dirfd, const char *path, uint32_t mode)
{
    if (!path_ok(path))
        return path_err(path);
    struct fs_node *dir;
    char name[FS_NAME_MAX + 1];
    shm_lock();
    long r = parent_at(dirfd, path, &dir, name);
    if (r == 0)
        r = fs_mkdir(&shared->fs, dir, name, mode & ~me.umask & 07777, NULL);
    shm_unlock();
    return r;
}

static long sys_unlinkat(int dirfd, const char *path, int flags)
{
    if (!path_ok(path))
        return path_err(path);
    struct fs_node *dir;
    char name[FS_NAME_MAX + 1];
    shm_lock();
    long r = parent_at(dirfd, path, &dir, name);
    if (r == -FS_EEXIST) {
        enum fs_last last = fs_path_last(path);
        r = !(flags & AT_REMOVEDIR) ? -L_EISDIR : last == FS_LAST_ROOT ? -16 : last == FS_LAST_DOT ? -L_EINVAL : -39;
    } else if (r == 0) {
        r = (flags & AT_REMOVEDIR) ? fs_rmdir(&shared->fs, dir, name) : fs_unlink(&shared->fs, dir, name);
    }
    shm_unlock();
    return r;
}

static long sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    if (!path_ok(oldpath) || !path_ok(newpath))
        return -L_EFAULT;
    struct fs_node *od, *nd;
    char on[FS_NAME_MAX + 1], nn[FS_NAME_MAX + 1];
    shm_lock();
    long r = parent_at(olddirfd, oldpath, &od, on);
    if (r == 0)
        r = parent_at(newdirfd, newpath, &nd, nn);
    if (r == 0)
        r = fs_rename(&shared->fs, od, on, nd, nn);
    else if (r == -FS_EEXIST)
        r = -16;            /* EBUSY */
    shm_unlock();
    return r;
}

static long sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    if (!path_ok(oldpath) || !path_ok(newpath))
        return -L_EFAULT;
    struct fs_node *n, *dir;
    char name[FS_NAME_MAX + 1];
    shm_lock();
    long r = lookup_at(olddirfd, oldpath, false, &n);
    if (r == 0)
        r = parent_at(newdirfd, newpath, &dir, name);
    if (r == 0)
        r = fs_link(&shared->fs, n, dir, name);
    shm_unlock();
    return r;
}

static long sys_symlinkat(const char *target, int dirfd, const char *path)
{
    if (!path_ok(target) || !path_ok(path))
        return -L_EFAULT;
    struct fs_node *dir;
    char name[FS_NAME_MAX + 1];
    shm_lock();
    long r = parent_at(dirfd, path, &dir, name);
    if (r == 0)
        r = fs_symlink(&shared->fs, dir, name, target);
    shm_unlock();
    return r;
}

static long sys_readlinkat(int dirfd, const char *path, char *buf, uint64_t n)
{
    if (!path_ok(path))
        return path_err(path);
    if (!mm_user_ok(buf, n, true))
        return -L_EFAULT;
    if (!strcmp(path, "/proc/self/exe")) {
        uint64_t k = strlen(me.exe) < n ? strlen(me.exe) : n;
        memcpy(buf, me.exe, k);
        return (long)k;
    }
    struct fs_node *node;
    shm_lock();
    long r = lookup_at(dirfd, path, false, &node);
    if (r == 0)
        r = fs_readlink(node, buf, n);
    shm_unlock();
    return r;
}

static long sys_truncate_node(struct fs_node *n, int64_t size)
{
    if (size < 0)
        return -L_EINVAL;
    return fs_truncate(&shared->fs, n, (uint64_t)size);
}

static long sys_path_op(int dirfd, const char *path, int op, uint64_t arg, int flags)
{
    if (!path_ok(path))
        return path_err(path);
    if (special_kind(path))
        return 0;
    struct fs_node *n;
    shm_lock();
    long r = lookup_at(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &n);
    if (r == 0) {
        if (op == 'm')
            fs_chmod(&shared->fs, n, (uint32_t)arg);
        else if (op == 't')
            r = fs_is_dir(n) ? -L_EISDIR : sys_truncate_node(n, (int64_t)arg);
        else if (op == 'u') {
            /* arg: NULL (now) or two timespecs; UTIME_NOW / UTIME_OMIT as in Linux. */
            const uint64_t *ts = (const uint64_t *)arg;
            uint64_t t[2], now = posix_realtime_ns();
            for (int k = 0; k < 2; k++) {
                uint64_t old = k == 0 ? n->atime : n->mtime;
                t[k] = !ts || ts[2 * k + 1] == (1ul << 30) - 1 ? now : ts[2 * k + 1] == (1ul << 30) - 2 ? old
                       : ts[2 * k] * 1000000000ul + ts[2 * k + 1];
            }
            fs_set_times(&shared->fs, n, t[0], t[1]);
        }
        else if (op == 'x' && (arg & 1) && !(n->mode & 0111))
            r = -L_EACCES;
    }
    shm_unlock();
    return r;
}

/* ------------------------------------------------------------ dup and fcntl */

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

/* ------------------------------------------------------------ poll and select */

struct poll_req {
    int16_t *pfd;               /* struct pollfd: int fd; short events, revents */
    uint64_t n;
    long ready;
};

int ofd_poll(struct ofd *o, uint64_t *seq)
{
    const struct file_ops *ops = file_ops_of(o);
    *seq = 0;
    return ops->poll ? ops->poll(o, seq) : PL_IN | PL_OUT;
}

static bool poll_scan(void *arg)
{
    struct poll_req *q = arg;
    q->ready = 0;
    for (uint64_t i = 0; i < q->n; i++) {
        int16_t *p = q->pfd + 4 * i;
        int fd = *(int32_t *)p;
        p[3] = 0;
        if (fd < 0)
            continue;
        struct ofd *o = fd_get(fd);
        uint64_t seq;
        int rev = o ? ofd_poll(o, &seq) & (p[2] | 8 | 16) : 32;  /* POLLNVAL */
        p[3] = (int16_t)rev;
        if (rev)
            q->ready++;
    }
    return q->ready > 0;
}

static long do_poll(void *fds, uint64_t n, int64_t timeout_ms)
{
    if (n > MAX_FDS)
        return -L_EINVAL;
    if (!mm_user_ok(fds, n * 8, true))
        return -L_EFAULT;
    struct poll_req q = {fds, n, 0};
    uint64_t deadline = timeout_ms < 0 ? 0 : vn_clock_ns() + (uint64_t)timeout_ms * 1000000 + 1;
    if (timeout_ms == 0) {
        shm_lock();
        poll_scan(&q);
        shm_unlock();
        return q.ready;
    }
    long r = posix_block(poll_scan, &q, deadline);
    return r == -L_EAGAIN ? 0 : r < 0 ? r : q.ready;
}

struct select_req {
    int n;
    uint64_t *in[3];            /* read, write, except sets (copies) */
    uint64_t out[3][MAX_FDS / 64];
    long ready;
};

static bool select_scan(void *arg)
{
    struct select_req *q = arg;
    q->ready = 0;
    memset(q->out, 0, sizeof(q->out));
    for (int fd = 0; fd < q->n; fd++) {
        for (int k = 0; k < 3; k++) {
            if (!q->in[k] || !(q->in[k][fd / 64] & (1ul << (fd % 64))))
                continue;
            struct ofd *o = fd_get(fd);
            uint64_t seq;
            int ev = o ? ofd_poll(o, &seq) : 0;
            bool hit = k == 0 ? (ev & (1 | 16 | 8)) : k == 1 ? (ev & (4 | 8)) : false;
            if (hit) {
                q->out[k][fd / 64] |= 1ul << (fd % 64);
                q->ready++;
            }
        }
    }
    return q->ready > 0;
}

static long do_select(int n, uint64_t *r, uint64_t *w, uint64_t *e, int64_t timeout_ns)
{
    if (n < 0 || n > MAX_FDS)
        return -L_EINVAL;
    uint64_t bytes = ((uint64_t)n + 63) / 64 * 8;
    struct select_req q = {.n = n, .in = {r, w, e}};
    for (int k = 0; k < 3; k++) {
        if (q.in[k] && !mm_user_ok(q.in[k], bytes, true))
            return -L_EFAULT;
        for (int fd = 0; q.in[k] && fd < n; fd++)
            if ((q.in[k][fd / 64] & (1ul << (fd % 64))) && !fd_get(fd))
                return -L_EBADF;
    }
    long res;
    if (timeout_ns == 0) {
        shm_lock();
        select_scan(&q);
        shm_unlock();
        res = q.ready;
    } else {
        res = posix_block(select_scan, &q, timeout_ns < 0 ? 0 : vn_clock_ns() + (uint64_t)timeout_ns);
        res = res == -L_EAGAIN ? 0 : res < 0 ? res : q.ready;
    }
    if (res >= 0)
        for (int k = 0; k < 3; k++)
            if (q.in[k])
                memcpy(q.in[k], q.out[k], bytes);
    return res;
}

/* ------------------------------------------------------------ calls (linux_calls.tbl) */

long lx_read(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_read((int)a, (void *)b, c);
}

long lx_write(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_write((int)a, (const void *)b, c);
}

long lx_open(struct vn_xframe *x)
{
    LX_ARGS(x);
    return do_open(L_AT_FDCWD, (const char *)a, (int)b, (uint32_t)c);
}

long lx_close(struct vn_xframe *x)
{
    LX_ARGS(x);
    return fd_close((int)a);
}

long lx_stat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_fstatat(L_AT_FDCWD, (const char *)a, (void *)b, 0);
}

long lx_fstat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_fstat((int)a, (void *)b);
}

long lx_lstat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_fstatat(L_AT_FDCWD, (const char *)a, (void *)b, AT_SYMLINK_NOFOLLOW);
}

long lx_poll(struct vn_xframe *x)
{
    LX_ARGS(x);
    return do_poll((void *)a, b, (int)c);
}

long lx_lseek(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_lseek((int)a, (int64_t)b, (int)c);
}

/* fadvise64: advice, no cache to act on */
long lx_fadvise64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return fd_get((int)a) ? 0 : -L_EBADF;
}

long lx_ioctl(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_ioctl((int)a, b, c);
}

long lx_pread64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_pread((int)a, (void *)b, c, (int64_t)d, false);
}

long lx_pwrite64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_pread((int)a, (void *)b, c, (int64_t)d, true);
}

/* preadv, pwritev, preadv2, pwritev2 */
long lx_preadv(struct vn_xframe *x)
{
    LX_ARGS(x);
    if ((x->rax < 327 && (int64_t)d < 0) || (x->rax >= 327 && (int64_t)d < -1))
        return -L_EINVAL;                           /* only the v2 calls take -1: the current offset */
    if (x->rax >= 327 && (x->r9 & ~0x1ful))         /* RWF_HIPRI..RWF_APPEND: hints here */
        return -95;                                 /* EOPNOTSUPP */
    return sys_rw_vec((int)a, (const uint64_t *)b, (int)c, (int64_t)d, x->rax == 296 || x->rax == 328);
}

long lx_readv(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_rw_vec((int)a, (const uint64_t *)b, (int)c, -1, false);
}

long lx_writev(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_rw_vec((int)a, (const uint64_t *)b, (int)c, -1, true);
}

long lx_access(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_path_op(L_AT_FDCWD, (const char *)a, 'x', b, 0);
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

/* select, pselect6: the timeout is in r8 */
long lx_select(struct vn_xframe *x)
{
    LX_ARGS(x);
    int64_t t = -1;
    if (e) {
        if (!mm_user_ok((void *)e, 16, false))
            return -L_EFAULT;
        const uint64_t *tv = (const uint64_t *)e;
        uint64_t sec = tv[0] > 100000000ul ? 100000000ul : tv[0], sub = tv[1] % 1000000000ul;
        t = (int64_t)(sec * 1000000000ul + sub * (x->rax == 23 ? 1000 : 1));
    }
    const uint64_t *mask = NULL;        /* pselect6: r9 -> {sigset pointer, size} */
    if (x->rax == 270 && x->r9) {
        if (!mm_user_ok((void *)x->r9, 16, false))
            return -L_EFAULT;
        mask = (const uint64_t *)((const uint64_t *)x->r9)[0];
        if (mask && !mm_user_ok(mask, 8, false))
            return -L_EFAULT;
    }
    if (mask)
        sig_suspend_begin(*mask);
    long r = do_select((int)a, (uint64_t *)b, (uint64_t *)c, (uint64_t *)d, t);
    if (mask)
        sig_suspend_end();
    return r;
}

/* ppoll: (fds, n, timeout, sigmask) */
long lx_ppoll(struct vn_xframe *x)
{
    LX_ARGS(x);
    int64_t t = -1;
    if (c) {
        if (!mm_user_ok((void *)c, 16, false))
            return -L_EFAULT;
        uint64_t sec = ((uint64_t *)c)[0] > 100000000ul ? 100000000ul : ((uint64_t *)c)[0];
        t = (int64_t)(sec * 1000 + ((uint64_t *)c)[1] % 1000000000ul / 1000000);
    }
    if (d && !mm_user_ok((void *)d, 8, false))
        return -L_EFAULT;
    if (d)
        sig_suspend_begin(*(const uint64_t *)d);
    long r = do_poll((void *)a, b, t);
    if (d)
        sig_suspend_end();
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

long lx_sendfile(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_sendfile((int)a, (int)b, (int64_t *)c, d);
}

/* fsync, fdatasync, sync: memory is the store */
long lx_fsync(struct vn_xframe *x)
{
    LX_ARGS(x);
    return 0;
}

/* statfs: one file system, in the arena */
long lx_statfs(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (!path_ok((const char *)a))
        return path_err((const char *)a);
    if (!mm_user_ok((void *)b, 120, true))
        return -L_EFAULT;
    return sys_statfs((void *)b);
}

long lx_fstatfs(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (!fd_get((int)a))
        return -L_EBADF;
    if (!mm_user_ok((void *)b, 120, true))
        return -L_EFAULT;
    return sys_statfs((void *)b);
}

long lx_truncate(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_path_op(L_AT_FDCWD, (const char *)a, 't', b, 0);
}

long lx_ftruncate(struct vn_xframe *x)
{
    LX_ARGS(x);
    struct ofd *o = fd_get((int)a);
    if (!o)
        return -L_EBADF;
    if (o->kind != OFD_FILE || (o->flags & L_O_ACCMODE) == 0)
        return -L_EINVAL;
    shm_lock();
    long r = sys_truncate_node(o->node, (int64_t)b);
    shm_unlock();
    return r;
}

long lx_getcwd(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_getcwd((char *)a, b);
}

long lx_chdir(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_chdir((const char *)a);
}

long lx_fchdir(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_fchdir((int)a);
}

long lx_rename(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_renameat(L_AT_FDCWD, (const char *)a, L_AT_FDCWD, (const char *)b);
}

long lx_mkdir(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_mkdirat(L_AT_FDCWD, (const char *)a, (uint32_t)b);
}

long lx_rmdir(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_unlinkat(L_AT_FDCWD, (const char *)a, AT_REMOVEDIR);
}

long lx_creat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return do_open(L_AT_FDCWD, (const char *)a, L_O_CREAT | L_O_WRONLY | L_O_TRUNC, (uint32_t)b);
}

long lx_link(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_linkat(L_AT_FDCWD, (const char *)a, L_AT_FDCWD, (const char *)b);
}

long lx_unlink(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_unlinkat(L_AT_FDCWD, (const char *)a, 0);
}

long lx_symlink(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_symlinkat((const char *)a, L_AT_FDCWD, (const char *)b);
}

long lx_readlink(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_readlinkat(L_AT_FDCWD, (const char *)a, (char *)b, c);
}

long lx_chmod(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_path_op(L_AT_FDCWD, (const char *)a, 'm', b, 0);
}

long lx_fchmod(struct vn_xframe *x)
{
    LX_ARGS(x);
    struct ofd *o = fd_get((int)a);
    if (!o)
        return -L_EBADF;
    if (o->kind == OFD_FILE || o->kind == OFD_DIR) {
        shm_lock();
        fs_chmod(&shared->fs, o->node, (uint32_t)b);
        shm_unlock();
    }
    return 0;
}

/* chown, fchown, lchown, fchownat: family: one user */
long lx_chown(struct vn_xframe *x)
{
    LX_ARGS(x);
    return 0;
}

long lx_umask(struct vn_xframe *x)
{
    LX_ARGS(x);
    long old = me.umask;
    me.umask = (uint32_t)a & 0777;
    return old;
}

long lx_getdents64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_getdents64((int)a, (void *)b, c);
}

long lx_openat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return do_open((int)a, (const char *)b, (int)c, (uint32_t)d);
}

long lx_mkdirat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_mkdirat((int)a, (const char *)b, (uint32_t)c);
}

long lx_newfstatat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_fstatat((int)a, (const char *)b, (void *)c, (int)d);
}

long lx_unlinkat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_unlinkat((int)a, (const char *)b, (int)c);
}

/* renameat, renameat2 */
long lx_renameat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_renameat((int)a, (const char *)b, (int)c, (const char *)d);
}

long lx_linkat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_linkat((int)a, (const char *)b, (int)c, (const char *)d);
}

long lx_symlinkat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_symlinkat((const char *)a, (int)b, (const char *)c);
}

long lx_readlinkat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_readlinkat((int)a, (const char *)b, (char *)c, d);
}

long lx_fchmodat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_path_op((int)a, (const char *)b, 'm', c, 0);
}

/* faccessat, faccessat2 */
long lx_faccessat(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_path_op((int)a, (const char *)b, 'x', c, 0);
}

long lx_utimensat(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (c && !mm_user_ok((void *)c, 32, false))
        return -L_EFAULT;
    if (!b) {                                                               /* futimens */
        struct ofd *o = fd_get((int)a);
        if (!o)
            return -L_EBADF;
        return 0;
    }
    return sys_path_op((int)a, (const char *)b, 'u', c, (int)d);
}
