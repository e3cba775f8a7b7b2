/*
 * The io_manager (libext2fs's struct struct_io_manager) of lib/fs: every
 * read and write of libext2fs goes through the buffer cache as metadata.
 *
 * libext2fs addresses the channel in its own block size (1024 while it
 * reads the superblock, the file system's after; a negative count is a
 * byte count), so requests are byte ranges, cut into device blocks here.
 * File data does not come this way: extfs_file.c writes it into the cache
 * as DATA itself.  Flush does nothing: when to commit is the file
 * system's policy (extfs_sync), not libext2fs's.  The channel finds its
 * cache through its name ("bcache@<address>", made by extfs_io_name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extfs_impl.h"

struct eio {
    struct bcache *bc;
    uint32_t dbs;                   /* device block size */
};

void extfs_io_name(struct bcache *bc, char *name, size_t size)
{
    snprintf(name, size, "bcache@%p", (void *)bc);
}

static errcode_t eio_open(const char *name, int flags, io_channel *out)
{
    io_channel ch = NULL;
    struct eio *e = NULL;
    void *p = NULL;

    if (!name || sscanf(name, "bcache@%p", &p) != 1 || !p)
        return EXT2_ET_BAD_DEVICE_NAME;
    ch = calloc(1, sizeof(*ch));
    e = calloc(1, sizeof(*e));
    if (!ch || !e || !(ch->name = strdup(name))) {
        free(ch);
        free(e);
        return EXT2_ET_NO_MEMORY;
    }
    e->bc = p;
    e->dbs = bcache_dev(e->bc)->block_size;
    ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
    ch->manager = extfs_io_manager;
    ch->block_size = 1024;
    ch->refcount = 1;
    ch->flags = flags;
    ch->private_data = e;
    *out = ch;
    return 0;
}

static errcode_t eio_close(io_channel ch)
{
    free(ch->private_data);
    free(ch->name);
    free(ch);
    return 0;
}

static errcode_t eio_set_blksize(io_channel ch, int blksize)
{
    if (blksize <= 0)
        return EXT2_ET_INVALID_ARGUMENT;
    ch->block_size = blksize;
    return 0;
}

/* Moves bytes [off, off + len) between buf and the cache. */
static errcode_t eio_bytes(io_channel ch, uint64_t off, uint64_t len, void *buf, int write)
{
    struct eio *e = ch->private_data;
    uint8_t *p = buf;

    while (len) {
        uint64_t blk = off / e->dbs;
        uint32_t in = (uint32_t)(off % e->dbs);
        uint32_t n = (uint32_t)(e->dbs - in < len ? e->dbs - in : len);
        int r = write ? bcache_write(e->bc, blk, in, n, p, BC_META)
                      : bcache_read(e->bc, blk, in, n, p);
        if (r)
            return r == -ENOMEM ? EXT2_ET_NO_MEMORY : r == -EINVAL ? EXT2_ET_LLSEEK_FAILED : EIO;
        off += n;
        len -= n;
        p += n;
    }
    return 0;
}

static uint64_t eio_len(io_channel ch, int count)
{
    return count < 0 ? (uint64_t)-(int64_t)count : (uint64_t)count * (uint64_t)ch->block_size;
}

static errcode_t eio_read_blk64(io_channel ch, unsigned long long block, int count, void *data)
{
    return eio_bytes(ch, block * (uint64_t)ch->block_size, eio_len(ch, count), data, 0);
}

static errcode_t eio_write_blk64(io_channel ch, unsigned long long block, int count,
                                 const void *data)
{
    return eio_bytes(ch, block * (uint64_t)ch->block_size, eio_len(ch, count), (void *)data, 1);
}

static errcode_t eio_read_blk(io_channel ch, unsigned long block, int count, void *data)
{
    return eio_read_blk64(ch, block, count, data);
}

static errcode_t eio_write_blk(io_channel ch, unsigned long block, int count, const void *data)
{
    return eio_write_blk64(ch, block, count, data);
}

static errcode_t eio_write_byte(io_channel ch, unsigned long offset, int count, const void *data)
{
    if (count < 0)
        return EXT2_ET_INVALID_ARGUMENT;
    return eio_bytes(ch, offset, (uint64_t)count, (void *)data, 1);
}

static errcode_t eio_flush(io_channel ch)
{
    (void)ch;
    return 0;
}

static errcode_t eio_set_option(io_channel ch, const char *option, const char *arg)
{
    (void)ch; (void)option; (void)arg;
    return EXT2_ET_INVALID_ARGUMENT;
}

/* Not offered: libext2fs falls back to writing zero blocks. */
static errcode_t eio_unimplemented(io_channel ch, unsigned long long block, unsigned long long count)
{
    (void)ch; (void)block; (void)count;
    return EXT2_ET_UNIMPLEMENTED;
}

static struct struct_io_manager eio_manager = {
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "Veneer lib/fs buffer cache",
    .open = eio_open,
    .close = eio_close,
    .set_blksize = eio_set_blksize,
    .read_blk = eio_read_blk,
    .write_blk = eio_write_blk,
    .flush = eio_flush,
    .write_byte = eio_write_byte,
    .set_option = eio_set_option,
    .read_blk64 = eio_read_blk64,
    .write_blk64 = eio_write_blk64,
    .discard = eio_unimplemented,
    .cache_readahead = eio_unimplemented,
    .zeroout = eio_unimplemented,
};

io_manager extfs_io_manager = &eio_manager;
