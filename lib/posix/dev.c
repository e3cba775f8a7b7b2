/*
 * The character devices recognised by path: /dev/null (reads end at once,
 * writes vanish) and /dev/zero (reads give zeros), as kinds of open file,
 * and the stat of a file that has no node in the file system.
 */
#include "posix.h"

void file_stat_synthetic(uint64_t *st, uint64_t ino, uint32_t mode, uint64_t rdev)
{
    memset(st, 0, FS_STAT_SIZE);
    st[1] = ino;
    st[2] = 1;                          /* st_nlink */
    ((uint32_t *)st)[6] = mode;
    st[5] = rdev;
    st[7] = 4096;                       /* st_blksize */
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

static void null_stat(struct ofd *o, uint64_t *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000002, 020666, 0x103);
}

static void zero_stat(struct ofd *o, uint64_t *st)
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
