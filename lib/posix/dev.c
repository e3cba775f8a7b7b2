/*
 * The character devices recognised by path: /dev/null (reads end at once,
 * writes vanish) and /dev/zero (reads give zeros), as kinds of open file,
 * and the stat of a file that has no node in the file system.
 */
#include "posix.h"

void file_stat_synthetic(struct l_stat *st, uint64_t ino, uint32_t mode, uint64_t rdev)
{
    *st = (struct l_stat){.ino = ino, .nlink = 1, .mode = mode, .rdev = rdev, .blksize = 4096};
}

static long null_read(struct ofd *o, void *buf, uint64_t n)
{
    (void)o, (void)buf, (void)n;
    return 0;
}

static long zero_read(struct ofd *o, void *buf, uint64_t n)
{
    (void)o;
    memset(buf, 0, n);
    return (long)n;
}

static long sink_write(struct ofd *o, const void *buf, uint64_t n)
{
    (void)o, (void)buf;
    return (long)n;
}

static long dev_seek(struct ofd *o, int64_t off, int whence)
{
    (void)o, (void)off, (void)whence;
    return 0;
}

static void null_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000002, 020666, 0x103);
}

static void zero_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000004, 020666, 0x105);
}

const struct file_ops null_ops = {
    .name = "null",
    .read = null_read,
    .write = sink_write,
    .stat = null_stat,
    .seek = dev_seek,
    .write_any_mode = true,
};

const struct file_ops zero_ops = {
    .name = "zero",
    .read = zero_read,
    .write = sink_write,
    .stat = zero_stat,
    .seek = dev_seek,
    .write_any_mode = true,
};

/* The descriptor named by "/dev/fd/N" or "/proc/self/fd/N", or -1. */
static int dev_fd_number(const char *path)
{
    const char *p = !str_ncmp(path, "/dev/fd/", 8) ? path + 8 : !str_ncmp(path, "/proc/self/fd/", 14) ? path + 14 : NULL;
    int n = 0;
    if (!p || !*p)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || n >= MAX_FDS)
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n < MAX_FDS ? n : -1;
}

bool dev_fd_path(const char *path)
{
    return !str_ncmp(path, "/dev/fd/", 8) || !str_ncmp(path, "/proc/self/fd/", 14);
}

/* open("/dev/fd/N") (and /proc/self/fd/N): a new descriptor for N's open
 * file, as dup gives (bash's process substitution opens these).  Linux
 * opens the file anew; here the description is shared, so a regular
 * file's offset is shared too.  Access beyond the description's mode is
 * EACCES.  Errors: ENOENT (not a descriptor), EACCES, EMFILE. */
long dev_fd_open(const char *path, int flags)
{
    int n = dev_fd_number(path);
    struct ofd *o = n >= 0 ? fd_get(n) : NULL;
    if (!o)
        return -L_ENOENT;
    int want = flags & L_O_ACCMODE, have = o->flags & L_O_ACCMODE;
    if (want != have && have != L_O_RDWR)
        return -L_EACCES;
    shm_lock();
    long fd = fd_install(o, (flags & L_O_CLOEXEC) ? FD_CLOEXEC_BIT : 0, 0);
    if (fd >= 0)
        o->refs++;
    shm_unlock();
    return fd;
}
