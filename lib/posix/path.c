/*
 * Path calls of the memory file system (fs.c, in the arena, seeded from
 * the boot archive): resolution relative to a directory descriptor or the
 * working directory, open, stat, directories and names (mkdir, unlink,
 * rename, link, symlink, readlink, chmod, truncate, utimensat, getdents)
 * and the working directory.  /dev and /proc paths go to their kinds
 * (dev.c, procfs.c); a root on disk takes its paths before this file does
 * (diskpath.c, the D flag of linux_calls.tbl).  Every user pointer is
 * checked against the program's memory map before it is touched
 * (mm_user_ok, mm_str_ok), so bad pointers give EFAULT.
 */
#include "linux_calls.h"

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000

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

long lx_open(struct vn_xframe *x)
{
    LX_ARGS(x);
    return do_open(L_AT_FDCWD, (const char *)a, (int)b, (uint32_t)c);
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

long lx_access(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_path_op(L_AT_FDCWD, (const char *)a, 'x', b, 0);
}

/* fsync, fdatasync, sync: memory is the store */
long lx_fsync(struct vn_xframe *x)
{
    (void)x;
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

/* chown, fchown, lchown, fchownat: one user, root */
long lx_chown(struct vn_xframe *x)
{
    (void)x;
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
