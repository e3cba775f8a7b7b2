/*
 * Memory files and directories as kinds of open file: the operations of
 * an OFD_FILE or OFD_DIR description, whose node is in the arena's file
 * system (fs.c).  Reads and writes move bytes under the arena lock at the
 * description's offset (O_APPEND writes at the end); directories list
 * through getdents64, /proc's root from the process table.
 */
#include "posix.h"

static long memfile_read(struct ofd *o, void *buf, uint64_t n)
{
    shm_lock();
    long r = fs_read(o->node, o->pos, buf, n);
    if (r > 0)
        o->pos += (uint64_t)r;
    shm_unlock();
    return r;
}

static long memfile_write(struct ofd *o, const void *buf, uint64_t n)
{
    shm_lock();
    if (o->flags & L_O_APPEND)
        o->pos = o->node->size;
    long r = fs_write(&shared->fs, o->node, o->pos, buf, n);
    if (r > 0)
        o->pos += (uint64_t)r;
    shm_unlock();
    return r;
}

static long memfile_pread(struct ofd *o, void *buf, uint64_t n, uint64_t off)
{
    shm_lock();
    long r = fs_read(o->node, off, buf, n);
    shm_unlock();
    return r;
}

static long memfile_pwrite(struct ofd *o, const void *buf, uint64_t n, uint64_t off)
{
    shm_lock();
    long r = fs_write(&shared->fs, o->node, off, buf, n);
    shm_unlock();
    return r;
}

static void memfile_stat(struct ofd *o, struct l_stat *st)
{
    fs_stat(o->node, st);
}

static long memfile_seek(struct ofd *o, int64_t off, int whence)
{
    shm_lock();
    long r = ofd_seek_sized(o, off, whence, o->node->size);
    shm_unlock();
    return r;
}

static void memfile_close(struct ofd *o)
{
    fs_node_put(&shared->fs, o->node);
}

const struct file_ops memfile_ops = {
    .name = "file",
    .read = memfile_read,
    .write = memfile_write,
    .pread = memfile_pread,
    .pwrite = memfile_pwrite,
    .stat = memfile_stat,
    .seek = memfile_seek,
    .close = memfile_close,
};

static long memdir_read(struct ofd *o, void *buf, uint64_t n)
{
    (void)o, (void)buf, (void)n;
    return -L_EISDIR;
}

static long memdir_pread(struct ofd *o, void *buf, uint64_t n, uint64_t off)
{
    (void)off;
    return memdir_read(o, buf, n);
}

/* Only a rewind: the cursor is an entry index, not a byte offset. */
static long memdir_seek(struct ofd *o, int64_t off, int whence)
{
    if (whence != 0 || off != 0)
        return -L_EINVAL;
    o->pos = 0;
    return 0;
}

static long memdir_getdents(struct ofd *o, void *buf, uint64_t n)
{
    return o->node == shared->proc_dir ? procfs_getdents(&o->pos, buf, n) : fs_getdents64(o->node, &o->pos, buf, n);
}

const struct file_ops memdir_ops = {
    .name = "dir",
    .read = memdir_read,
    .pread = memdir_pread,
    .pwrite = NULL,
    .stat = memfile_stat,
    .seek = memdir_seek,
    .getdents = memdir_getdents,
    .close = memfile_close,
};
