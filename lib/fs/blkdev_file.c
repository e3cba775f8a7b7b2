/*
 * Block device back end: a host file (host tests, tools).  pread/pwrite
 * of whole blocks; flush is fdatasync, so the host's page cache is the
 * "volatile cache" of the contract in blkdev.h.
 */
#include "blkdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct blkdev_file {
    struct blkdev dev;
    int fd;
};

static int file_rw(struct blkdev *d, uint64_t blk, uint32_t n, void *buf, int write)
{
    struct blkdev_file *f = (struct blkdev_file *)d;
    size_t len = (size_t)n * d->block_size, done = 0;
    off_t off = (off_t)(blk * d->block_size);

    while (done < len) {
        ssize_t r = write ? pwrite(f->fd, (char *)buf + done, len - done, off + (off_t)done)
                          : pread(f->fd, (char *)buf + done, len - done, off + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -EIO;
        done += (size_t)r;
    }
    return 0;
}

static int file_read(struct blkdev *d, uint64_t blk, uint32_t n, void *buf)
{
    return file_rw(d, blk, n, buf, 0);
}

static int file_write(struct blkdev *d, uint64_t blk, uint32_t n, const void *buf)
{
    return file_rw(d, blk, n, (void *)buf, 1);
}

static int file_flush(struct blkdev *d)
{
    return fdatasync(((struct blkdev_file *)d)->fd) ? -EIO : 0;
}

static void file_close(struct blkdev *d)
{
    close(((struct blkdev_file *)d)->fd);
    free(d);
}

static const struct blkdev_ops file_ops = { file_read, file_write, file_flush, file_close, NULL };

/* Contract in blkdev.h. */
int blkdev_file_open(const char *path, uint32_t block_size, uint64_t nblocks, struct blkdev **out)
{
    struct blkdev_file *f;
    struct stat st;
    int fd;

    if (block_size < 512 || (block_size & (block_size - 1)))
        return -EINVAL;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || (nblocks && (uint64_t)st.st_size < nblocks * block_size &&
                               ftruncate(fd, (off_t)(nblocks * block_size)) < 0)) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!nblocks) {
        if (st.st_size % block_size || st.st_size == 0) {
            close(fd);
            return -EINVAL;
        }
        nblocks = (uint64_t)st.st_size / block_size;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    f->dev.ops = &file_ops;
    f->dev.block_size = block_size;
    f->dev.nblocks = nblocks;
    f->fd = fd;
    *out = &f->dev;
    return 0;
}
