/*
 * The root on disk: when fsd serves the instance (shared->disk.fsd), "/"
 * is the disk's ext4 file system and the in-memory tree (fs.c) is mounted
 * over it at /bin (the boot archive's programs, as without a disk), /dev
 * and /proc.  This file routes the path system calls between the two.
 *
 *   path (+ cwd or a directory descriptor) --join, "." and ".."--> /abs/path
 *        /bin..., /dev..., /proc...  -> the memory tree (fd.c, unchanged)
 *        anything else               -> fsd (disk.c, diskfile.c)
 *
 * The working directory is kept as that absolute path (me.cwd_path) too;
 * on the disk, me.cwd is the memory tree's root.  A call whose path leads
 * into the memory tree from a directory on the disk gets the absolute
 * path instead of its own (copied below the program's red zone, as a
 * signal frame would be), so fd.c resolves it as it always did.
 *
 * Limits: ".." is taken lexically (a symlinked directory's ".." is the
 * link's parent); symlinks on the disk are resolved on the disk (fsd), so
 * a disk symlink into /bin does not reach the archive; programs run only
 * from the memory tree (exec); rename and link across the two are EXDEV.
 * Permission checks: none, as in the memory tree (one user).
 */
#include "posix.h"
#include "pathjoin.h"

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EMPTY_PATH       0x1000
#define RENAME_NOREPLACE    0x1
#define L_EXDEV             18
#define L_ELOOP             40
#define L_ERANGE            34

enum route { ROUTE_NONE, ROUTE_DISK, ROUTE_MEM };

static const char *const mem_mounts[] = {"/bin", "/dev", "/proc"};

/* Whether abs (normalized) lies in the memory tree's mounts. */
static bool mem_mount(const char *abs)
{
    return path_under(abs, mem_mounts, sizeof(mem_mounts) / sizeof(mem_mounts[0]));
}

/* Where path (from dirfd) leads.  Errors: -EBADF, -ENOTDIR (dirfd),
 * -ENAMETOOLONG. */
static long route(int dirfd, const char *path, char *abs)
{
    const char *base = "/";
    if (path[0] != '/') {
        if (dirfd == L_AT_FDCWD) {
            base = me.cwd_path;
        } else {
            struct ofd *o = fd_get(dirfd);
            if (!o)
                return -L_EBADF;
            if (o->kind != OFD_DISKDIR)
                return ROUTE_NONE;              /* a memory directory (or not one): fd.c's */
            base = o->dpath;
        }
    }
    long r = path_join(base, path, abs, FSD_PATH_MAX);
    if (r < 0)
        return r;
    return mem_mount(abs) ? ROUTE_MEM : ROUTE_DISK;
}

/* Whether fd.c would resolve path from dirfd the way abs says: absolute
 * paths, and relative ones from a directory of the memory tree. */
static bool mem_direct(int dirfd, const char *path)
{
    if (path[0] == '/')
        return true;
    if (dirfd != L_AT_FDCWD) {
        struct ofd *o = fd_get(dirfd);
        return o && o->kind != OFD_DISKDIR;
    }
    return mem_mount(me.cwd_path);
}

/* Makes argument register *reg point at a copy of abs below the
 * program's stack (slot k of two), for fd.c. Errors: -EFAULT. */
static long give_abs(struct vn_xframe *x, uint64_t *reg, const char *abs, int k)
{
    uint64_t len = strlen(abs) + 1;
    uint64_t at = ((x->rsp - 128 - (uint64_t)(k + 1) * FSD_PATH_MAX) & ~15ul);
    if (!prog_range(at, len) || !mm_user_ok((void *)at, len, true))
        return -L_EFAULT;
    memcpy((void *)at, abs, len);
    *reg = at;
    return 0;
}

/* ------------------------------------------------------------ disk calls */

static long disk_lookup(const char *abs, bool follow, struct extfs_stat *st, uint32_t *ino)
{
    return disk_path_op(FSD_OP_LOOKUP, abs, NULL, 0, follow ? FSD_FOLLOW : 0, st, ino);
}

static bool is_dir(const struct extfs_stat *st) { return (st->mode & FS_S_IFMT) == FS_S_IFDIR; }
static bool is_reg(const struct extfs_stat *st) { return (st->mode & FS_S_IFMT) == FS_S_IFREG; }
static bool is_lnk(const struct extfs_stat *st) { return (st->mode & FS_S_IFMT) == FS_S_IFLNK; }

static long send_ino(int op, uint32_t ino, uint64_t off, uint32_t flags)
{
    struct fsd_slot *s = disk_slot_get();
    s->ino = ino;
    s->off = off;
    s->flags = flags;
    long r = disk_submit(s, op);
    disk_slot_put(s);
    return r;
}

static long disk_open(const char *abs, int flags, uint32_t mode)
{
    struct extfs_stat st;
    uint32_t ino;
    long r;
    int acc = flags & L_O_ACCMODE;
    if (flags & L_O_CREAT)
        r = disk_path_op(FSD_OP_CREATE, abs, NULL, mode & ~me.umask & 07777, (flags & L_O_EXCL) ? FSD_EXCL : 0,
                         &st, &ino);
    else
        r = disk_lookup(abs, !(flags & L_O_NOFOLLOW), &st, &ino);
    if (r == 0 && is_lnk(&st))
        r = -L_ELOOP;                           /* O_NOFOLLOW on a symlink */
    if (r == 0 && is_dir(&st) && (acc != 0 || (flags & L_O_CREAT)))
        r = -L_EISDIR;
    if (r == 0 && !is_dir(&st) && (flags & L_O_DIRECTORY))
        r = -L_ENOTDIR;
    if (r == 0 && is_reg(&st) && (flags & L_O_TRUNC) && acc != 0)
        r = send_ino(FSD_OP_TRUNCATE, ino, 0, 0);
    if (r == 0 && !is_dir(&st))
        r = send_ino(FSD_OP_OPEN, ino, 0, 0);   /* an unlinked open file stays until its close */
    if (r < 0)
        return r;
    char *dpath = is_dir(&st) ? shm_alloc(FSD_PATH_MAX) : NULL;
    if (dpath)
        memcpy(dpath, abs, strlen(abs) + 1);
    shm_lock();
    struct ofd *o = is_dir(&st) && !dpath ? NULL
                  : ofd_new(is_dir(&st) ? OFD_DISKDIR : OFD_DISK, flags & ~(L_O_CLOEXEC | L_O_CREAT | L_O_EXCL | L_O_TRUNC));
    r = o ? 0 : -L_EMFILE;
    if (o) {
        o->dino = ino;
        o->dpath = dpath;
        r = fd_install(o, (flags & L_O_CLOEXEC) ? FD_CLOEXEC_BIT : 0, 0);
        if (r < 0)
            ofd_put(o);                         /* closes it at fsd too */
    } else if (!is_dir(&st)) {
        shm_unlock();
        send_ino(FSD_OP_CLOSE, ino, 0, 0);
        shm_lock();
    } else if (dpath) {
        shm_free(dpath, FSD_PATH_MAX);
    }
    shm_unlock();
    return r;
}

static long disk_stat_path(const char *abs, bool follow, void *st)
{
    struct extfs_stat s;
    if (!mm_user_ok(st, FS_STAT_SIZE, true))
        return -L_EFAULT;
    long r = disk_lookup(abs, follow, &s, NULL);
    if (r == 0)
        disk_fill_stat(&s, st);
    return r;
}

static long disk_readlink(const char *abs, char *buf, uint64_t n)
{
    struct extfs_stat st;
    uint32_t ino;
    if (!mm_user_ok(buf, n, true))
        return -L_EFAULT;
    long r = disk_lookup(abs, false, &st, &ino);
    if (r == 0 && !is_lnk(&st))
        r = -L_EINVAL;
    if (r < 0)
        return r;
    struct fsd_slot *s = disk_slot_get();
    s->ino = ino;
    r = disk_submit(s, FSD_OP_READLINK);
    if (r > 0) {
        r = (uint64_t)r < n ? r : (long)n;
        memcpy(buf, s->data, (uint64_t)r);
    }
    disk_slot_put(s);
    return r;
}

/* setattr of ino: mask EXTFS_SET_*, from st. */
static long disk_setattr(uint32_t ino, unsigned mask, const struct extfs_stat *st)
{
    struct fsd_slot *s = disk_slot_get();
    s->ino = ino;
    s->mode = mask;
    s->st = *st;
    long r = disk_submit(s, FSD_OP_SETATTR);
    disk_slot_put(s);
    return r;
}

/* utimensat's times (NULL: now; UTIME_NOW, UTIME_OMIT) on ino. */
static long disk_utimes(uint32_t ino, const uint64_t *ts)
{
    struct extfs_stat st = {0};
    unsigned mask = 0;
    uint64_t now = posix_realtime_ns();
    if (ts && !mm_user_ok(ts, 32, false))
        return -L_EFAULT;
    for (int k = 0; k < 2; k++) {
        uint64_t nsec = ts ? ts[2 * k + 1] : (1ul << 30) - 1;
        if (nsec == (1ul << 30) - 2)
            continue;                           /* UTIME_OMIT */
        int64_t t = nsec == (1ul << 30) - 1 ? (int64_t)now : (int64_t)(ts[2 * k] * 1000000000ul + nsec);
        if (k == 0)
            st.atime_ns = t;
        else
            st.mtime_ns = t;
        mask |= k == 0 ? EXTFS_SET_ATIME : EXTFS_SET_MTIME;
    }
    return mask ? disk_setattr(ino, mask, &st) : 0;
}

static long disk_statfs(uint64_t *buf)
{
    if (!mm_user_ok(buf, 120, true))
        return -L_EFAULT;
    struct fsd_slot *s = disk_slot_get();
    long r = disk_submit(s, FSD_OP_STATFS);
    struct extfs_statfs sf;
    memcpy(&sf, s->data, sizeof(sf));
    disk_slot_put(s);
    if (r < 0)
        return r;
    memset(buf, 0, 120);
    buf[0] = 0xEF53;                            /* f_type: EXT4_SUPER_MAGIC */
    buf[1] = sf.block_size;                     /* f_bsize */
    buf[2] = sf.blocks;
    buf[3] = sf.blocks_free;
    buf[4] = sf.blocks_avail;
    buf[5] = sf.files;
    buf[6] = sf.files_free;
    buf[8] = sf.name_max;                       /* f_namelen (after the 8-byte fsid) */
    buf[9] = sf.block_size;                     /* f_frsize */
    return 0;
}

/* chdir to abs on the disk. */
static long disk_chdir(const char *abs)
{
    struct extfs_stat st;
    long r = disk_lookup(abs, true, &st, NULL);
    if (r == 0 && !is_dir(&st))
        r = -L_ENOTDIR;
    if (r < 0)
        return r;
    shm_lock();
    fs_node_get(shared->fs.root);
    fs_node_put(&shared->fs, me.cwd);
    me.cwd = shared->fs.root;
    shm_unlock();
    memcpy(me.cwd_path, abs, strlen(abs) + 1);
    return 0;
}

/* chdir into the memory tree (abs, or the directory n), keeping
 * me.cwd_path. */
static long mem_chdir(const char *abs, struct fs_node *n)
{
    shm_lock();
    long r = n ? 0 : fs_lookup(&shared->fs, shared->fs.root, abs, true, &n);
    if (r == 0 && !fs_is_dir(n))
        r = -L_ENOTDIR;
    char p[FSD_PATH_MAX];
    if (r == 0 && !abs && (r = fs_path_of(&shared->fs, n, p, sizeof(p))) >= 0) {
        abs = p;
        r = 0;
    }
    if (r == 0) {
        fs_node_get(n);
        fs_node_put(&shared->fs, me.cwd);
        me.cwd = n;
        memcpy(me.cwd_path, abs, strlen(abs) + 1);
    }
    shm_unlock();
    return r;
}

static long disk_getcwd(char *buf, uint64_t size)
{
    uint64_t n = strlen(me.cwd_path) + 1;
    if (!mm_user_ok(buf, size, true))
        return -L_EFAULT;
    if (n > size)
        return -L_ERANGE;
    memcpy(buf, me.cwd_path, n);
    return (long)n;
}

/* ------------------------------------------------------------ dispatch */

/* Where a call's path arguments are: register index (0 rdi, 1 rsi, 2 rdx,
 * 3 r10) of the path and of its directory descriptor (-1: AT_FDCWD). */
struct path_arg { int8_t path, dirfd; };

static uint64_t *arg_reg(struct vn_xframe *x, int i)
{
    return i == 0 ? &x->rdi : i == 1 ? &x->rsi : i == 2 ? &x->rdx : &x->r10;
}

/* A path call whose path leads to the memory tree: hand it to fd.c,
 * with the absolute path if fd.c would not find it from the directory. */
static long to_mem(struct vn_xframe *x, struct path_arg a, const char *abs, int k, bool *handled)
{
    int dirfd = a.dirfd < 0 ? L_AT_FDCWD : (int)*arg_reg(x, a.dirfd);
    const char *path = (const char *)*arg_reg(x, a.path);
    if (mem_direct(dirfd, path))
        return 0;
    long r = give_abs(x, arg_reg(x, a.path), abs, k);
    if (r < 0)
        *handled = true;
    return r;
}

/* The disk ofd of descriptor fd, or NULL. */
static struct ofd *disk_fd(int fd, bool dir_ok)
{
    struct ofd *o = fd_get(fd);
    return o && (o->kind == OFD_DISK || (dir_ok && o->kind == OFD_DISKDIR)) ? o : NULL;
}

/* Contract in posix.h. */
long disk_syscall(struct vn_xframe *x, bool *handled)
{
    uint64_t nr = x->rax, a = x->rdi, b = x->rsi, c = x->rdx, d = x->r10;
    static char abs[FSD_PATH_MAX], abs2[FSD_PATH_MAX];
    struct path_arg p1 = {-1, -1}, p2 = {-1, -1};
    struct extfs_stat st;
    uint32_t ino;
    struct ofd *o;
    long r;

    *handled = false;
    if (!shared->disk.fsd)
        return 0;
    /* Calls on descriptors and the whole file system. */
    switch (nr) {
    case 79: *handled = true; return disk_getcwd((char *)a, b);
    case 74: case 75:                           /* fsync, fdatasync: a commit and a device flush */
        if ((o = fd_get((int)a)) && o->kind == OFD_BLK) {
            *handled = true;
            return blkfile_fsync(o);            /* the raw extent: its flush alone */
        }
        if (!(o = disk_fd((int)a, true)))
            return 0;
        *handled = true;
        return send_ino(FSD_OP_FSYNC, o->dino, 0, 0);
    case 162: case 306:                         /* sync, syncfs */
        *handled = true;
        r = send_ino(FSD_OP_SYNC, 0, 0, 0);
        return nr == 162 ? 0 : r;
    case 77:                                    /* ftruncate */
        if (!(o = disk_fd((int)a, false)))
            return 0;
        *handled = true;
        if ((o->flags & L_O_ACCMODE) == 0)
            return -L_EINVAL;
        return (int64_t)b < 0 ? -L_EINVAL : send_ino(FSD_OP_TRUNCATE, o->dino, b, (o->flags & 04010000) ? FSD_SYNC : 0);
    case 91:                                    /* fchmod */
        if (!(o = disk_fd((int)a, true)))
            return 0;
        *handled = true;
        st.mode = (uint32_t)b & 07777;
        return disk_setattr(o->dino, EXTFS_SET_MODE, &st);
    case 138:                                   /* fstatfs */
        if (!disk_fd((int)a, true))
            return 0;
        *handled = true;
        return disk_statfs((uint64_t *)b);
    case 81:                                    /* fchdir */
        if ((o = disk_fd((int)a, true))) {
            *handled = true;
            if (o->kind != OFD_DISKDIR)
                return -L_ENOTDIR;
            return disk_chdir(o->dpath);
        }
        if ((o = fd_get((int)a)) && o->kind == OFD_DIR) {
            *handled = true;
            return mem_chdir(NULL, o->node);
        }
        return 0;
    case 280:                                   /* utimensat(dirfd, NULL, ...): futimens */
        if (a && (o = disk_fd((int)a, true)) && !b) {
            *handled = true;
            return disk_utimes(o->dino, (const uint64_t *)c);
        }
        break;
    }
    /* Path calls: which argument is the path, which its directory. */
    switch (nr) {
    case 2: case 4: case 6: case 21: case 76: case 80: case 83: case 84: case 85: case 87: case 89: case 90:
    case 137:
        p1 = (struct path_arg){0, -1}; break;
    case 257: case 258: case 262: case 263: case 267: case 268: case 269: case 439: case 280:
        p1 = (struct path_arg){1, 0}; break;
    case 82: case 86:
        p1 = (struct path_arg){0, -1}; p2 = (struct path_arg){1, -1}; break;
    case 264: case 265: case 316:
        p1 = (struct path_arg){1, 0}; p2 = (struct path_arg){3, 2}; break;
    case 88:
        p2 = (struct path_arg){1, -1}; break;   /* symlink(target, path): only path is routed */
    case 266:
        p2 = (struct path_arg){2, 1}; break;
    default:
        return 0;
    }
    int r1 = ROUTE_NONE, r2 = ROUTE_NONE;
    if (p1.path >= 0) {
        const char *path = (const char *)*arg_reg(x, p1.path);
        if (!path || !mm_str_ok(path, FS_PATH_MAX))
            return 0;                           /* fd.c reports the bad pointer */
        if (nr == 262 && !path[0] && ((int)d & AT_EMPTY_PATH))
            return 0;                           /* fstat of the descriptor */
        r = route(p1.dirfd < 0 ? L_AT_FDCWD : (int)*arg_reg(x, p1.dirfd), path, abs);
        if (r < 0) {
            *handled = true;
            return r;
        }
        r1 = (int)r;
    }
    if (p2.path >= 0) {
        const char *path = (const char *)*arg_reg(x, p2.path);
        if (!path || !mm_str_ok(path, FS_PATH_MAX))
            return 0;
        r = route(p2.dirfd < 0 ? L_AT_FDCWD : (int)*arg_reg(x, p2.dirfd), path, abs2);
        if (r < 0) {
            *handled = true;
            return r;
        }
        r2 = (int)r;
    }
    bool two = p1.path >= 0 && p2.path >= 0;
    if (two && r1 != r2 && (r1 == ROUTE_DISK || r2 == ROUTE_DISK)) {
        *handled = true;
        return -L_EXDEV;                        /* across the disk and the memory tree */
    }
    int rt = p1.path >= 0 ? r1 : r2;
    if (rt == ROUTE_NONE)
        return 0;
    if (rt == ROUTE_MEM) {
        if (nr == 80) {                         /* chdir: the path is ours to keep */
            *handled = true;
            return mem_chdir(abs, NULL);
        }
        r = p1.path >= 0 ? to_mem(x, p1, abs, 0, handled) : 0;
        if (!*handled && p2.path >= 0)
            r = to_mem(x, p2, abs2, 1, handled);
        return r;
    }
    *handled = true;
    if (!strcmp(abs, "/") || (p2.path >= 0 && !strcmp(abs2, "/"))) {
        /* The root as a name to make or remove: Linux's answers. */
        switch (nr) {
        case 83: case 258: case 88: case 266: case 86: case 265: return -L_EEXIST;
        case 84: case 82: case 264: case 316: return -16;       /* EBUSY */
        case 87: return -L_EISDIR;
        case 263: return (int)c & AT_REMOVEDIR ? -16 : -L_EISDIR;
        }
    }
    switch (nr) {
    case 2:   return disk_open(abs, (int)b, (uint32_t)c);
    case 257: return disk_open(abs, (int)c, (uint32_t)d);
    case 85:  return disk_open(abs, L_O_CREAT | L_O_WRONLY | L_O_TRUNC, (uint32_t)b);
    case 4:   return disk_stat_path(abs, true, (void *)b);
    case 6:   return disk_stat_path(abs, false, (void *)b);
    case 262: return disk_stat_path(abs, !((int)d & AT_SYMLINK_NOFOLLOW), (void *)c);
    case 21: case 269: case 439: {              /* access, faccessat: it exists (X_OK: some x bit) */
        uint64_t mode = nr == 21 ? b : c;
        r = disk_lookup(abs, true, &st, NULL);
        return r == 0 && (mode & 1) && !(st.mode & 0111) && !is_dir(&st) ? -L_EACCES : r;
    }
    case 80:  return disk_chdir(abs);
    case 83:  return disk_path_op(FSD_OP_MKDIR, abs, NULL, (uint32_t)b & ~me.umask & 07777, 0, NULL, NULL);
    case 258: return disk_path_op(FSD_OP_MKDIR, abs, NULL, (uint32_t)c & ~me.umask & 07777, 0, NULL, NULL);
    case 84:  return disk_path_op(FSD_OP_RMDIR, abs, NULL, 0, 0, NULL, NULL);
    case 87:  return disk_path_op(FSD_OP_UNLINK, abs, NULL, 0, 0, NULL, NULL);
    case 263: return disk_path_op((int)c & AT_REMOVEDIR ? FSD_OP_RMDIR : FSD_OP_UNLINK, abs, NULL, 0, 0, NULL, NULL);
    case 82: case 264: case 316:
        if (nr == 316 && (x->r8 & ~(uint64_t)RENAME_NOREPLACE))
            return -L_EINVAL;                   /* RENAME_EXCHANGE, RENAME_WHITEOUT */
        if (nr == 316 && (x->r8 & RENAME_NOREPLACE) && disk_lookup(abs2, false, NULL, NULL) == 0)
            return -L_EEXIST;
        return disk_path_op(FSD_OP_RENAME, abs, abs2, 0, 0, NULL, NULL);
    case 86: case 265:                          /* a symlink is linked itself (AT_SYMLINK_FOLLOW: EINVAL) */
        if (nr == 265 && ((int)x->r8 & AT_SYMLINK_FOLLOW))
            return -L_EINVAL;
        return disk_path_op(FSD_OP_LINK, abs, abs2, 0, 0, NULL, NULL);
    case 88: case 266: {
        const char *target = (const char *)a;
        if (!mm_str_ok(target, FSD_PATH_MAX))
            return -L_EFAULT;
        return disk_path_op(FSD_OP_SYMLINK, abs2, target, 0, 0, NULL, NULL);
    }
    case 89:  return disk_readlink(abs, (char *)b, c);
    case 267: return disk_readlink(abs, (char *)c, d);
    case 90: case 268:
        r = disk_lookup(abs, true, &st, &ino);
        if (r == 0) {
            st.mode = (uint32_t)(nr == 90 ? b : c) & 07777;
            r = disk_setattr(ino, EXTFS_SET_MODE, &st);
        }
        return r;
    case 76:
        r = disk_lookup(abs, true, &st, &ino);
        if (r == 0 && is_dir(&st))
            r = -L_EISDIR;
        return r == 0 ? ((int64_t)b < 0 ? -L_EINVAL : send_ino(FSD_OP_TRUNCATE, ino, b, 0)) : r;
    case 280:
        r = disk_lookup(abs, !((int)x->r10 & AT_SYMLINK_NOFOLLOW), &st, &ino);
        return r == 0 ? disk_utimes(ino, (const uint64_t *)c) : r;
    case 137: return disk_statfs((uint64_t *)b);
    }
    *handled = false;
    return 0;
}

/* Contract in posix.h. */
void disk_root_init(void)
{
    /* The memory tree's mount points, so that "ls /" shows them. */
    static const char *const dirs[] = {"/bin", "/dev", "/proc", "/tmp", "/root", "/home", "/etc"};
    for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        disk_path_op(FSD_OP_MKDIR, dirs[i], NULL, 0755, 0, NULL, NULL);
    memcpy(me.cwd_path, "/", 2);
}
