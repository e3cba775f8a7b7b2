/*
 * A raw extent as a block device file: /dev/nvme1n1, the instance's
 * second disk extent (the kernel's second namespace root, which init
 * gives to fsd unmounted; disk.c).  An OFD_BLK description is a byte
 * offset on it; every operation is a round trip to fsd (FSD_OP_RAW_*,
 * at most FSD_DATA bytes each), which reads and writes whole blocks
 * through its own queue on the extent and patches partial ones.  Nothing
 * is cached here: a read after a write sees it, and fsync is the
 * device's flush (what a completed flush makes durable, as on Linux).
 *
 * The file looks like a Linux block device to a program such as e2fsck:
 * S_IFBLK with st_rdev 259:1 (nvme's major), st_size 0 as Linux reports
 * for devices, the size from ioctl BLKGETSIZE64 (and BLKGETSIZE in
 * 512-byte sectors, BLKSSZGET, BLKBSZGET), lseek SEEK_END to the end.
 * Reads and writes stop at the end (a read past it gets 0 bytes, a write
 * ENOSPC, as a device's).
 */
#include "posix.h"
#include "file.h"

#define BLK_RDEV      ((259ull << 8) | 1)   /* Linux's old-style encoding of 259:1, as st_rdev */
#define L_BLKGETSIZE   0x1260
#define L_BLKSSZGET    0x1268
#define L_BLKFLSBUF    0x1261
#define L_BLKROGET     0x125e
#define L_BLKBSZGET    0x80081270
#define L_BLKGETSIZE64 0x80081272
#define L_BLKPBSZGET   0x127b
#define L_BLKDISCARDZEROES 0x127c

/* Contract in posix.h. */
bool blkfile_present(void)
{
    return shared->disk.fsd && !shared->disk.down && shared->disk.raw_bytes;
}

/* n bytes at off through slots, in pieces of FSD_DATA.  Returns the bytes
 * moved (short at the end of the extent) or, if none, fsd's error (EIO
 * when fsd has gone), or for a write at or past the end ENOSPC (as
 * Linux's; a read there gives 0 bytes). */
static long blk_rw(void *buf, uint64_t n, uint64_t off, bool wr)
{
    uint64_t done = 0;
    long r = 0;
    struct fsd_slot *s = disk_slot_get();
    while (done < n) {
        uint64_t k = n - done < FSD_DATA ? n - done : FSD_DATA;
        s->off = off + done;
        s->len = k;
        if (wr)
            memcpy(s->data, (const uint8_t *)buf + done, k);
        r = disk_submit(s, wr ? FSD_OP_RAW_WRITE : FSD_OP_RAW_READ);
        if (r <= 0)
            break;
        if (!wr)
            memcpy((uint8_t *)buf + done, s->data, (uint64_t)r);
        done += (uint64_t)r;
        if ((uint64_t)r < k)
            break;
    }
    disk_slot_put(s);
    if (!done && !r && wr && n)
        return -L_ENOSPC;
    return done ? (long)done : r;
}

static long blkfile_pread(struct ofd *o, void *buf, uint64_t n, uint64_t off)
{
    (void)o;
    return (int64_t)off < 0 ? -L_EINVAL : blk_rw(buf, n, off, false);
}

static long blkfile_pwrite(struct ofd *o, const void *buf, uint64_t n, uint64_t off)
{
    (void)o;
    return (int64_t)off < 0 ? -L_EINVAL : blk_rw((void *)buf, n, off, true);
}

static long blkfile_read(struct ofd *o, void *buf, uint64_t n)
{
    long r = blk_rw(buf, n, o->pos, false);
    if (r > 0)
        o->pos += (uint64_t)r;
    return r;
}

static long blkfile_write(struct ofd *o, const void *buf, uint64_t n)
{
    long r = blk_rw((void *)buf, n, o->pos, true);
    if (r > 0)
        o->pos += (uint64_t)r;
    return r;
}

static long blkfile_seek(struct ofd *o, int64_t off, int whence)
{
    shm_lock();
    long r = ofd_seek_sized(o, off, whence, shared->disk.raw_bytes);
    shm_unlock();
    return r;
}

static long put_u64(uint64_t arg, uint64_t v, unsigned size)
{
    if (!mm_user_ok((void *)arg, size, true))
        return -L_EFAULT;
    if (size == 8)
        *(uint64_t *)arg = v;
    else
        *(uint32_t *)arg = (uint32_t)v;
    return 0;
}

/* The block-device ioctls e2fsck and its kin ask; others ENOTTY. */
static long blkfile_ioctl(struct ofd *o, unsigned long req, uint64_t arg)
{
    (void)o;
    uint64_t size = shared->disk.raw_bytes;
    switch (req) {
    case L_BLKGETSIZE64: return put_u64(arg, size, 8);
    case L_BLKGETSIZE:   return put_u64(arg, size / 512, 8);   /* unsigned long */
    case L_BLKSSZGET:    return put_u64(arg, 512, 4);
    case L_BLKPBSZGET:   return put_u64(arg, 512, 4);
    case L_BLKBSZGET:    return put_u64(arg, 4096, 4);
    case L_BLKROGET:     return put_u64(arg, 0, 4);
    case L_BLKDISCARDZEROES: return put_u64(arg, 0, 4);
    case L_BLKFLSBUF:    return 0;                              /* nothing is cached here */
    }
    return -L_ENOTTY;
}

static void blkfile_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000010, 060660, BLK_RDEV);
}

/* Contract in posix.h. */
long blkfile_fsync(struct ofd *o)
{
    (void)o;
    struct fsd_slot *s = disk_slot_get();
    long r = disk_submit(s, FSD_OP_RAW_FLUSH);
    disk_slot_put(s);
    return r;
}

const struct file_ops blkfile_ops = {
    .name = "blk",
    .read = blkfile_read,
    .write = blkfile_write,
    .pread = blkfile_pread,
    .pwrite = blkfile_pwrite,
    .ioctl = blkfile_ioctl,
    .stat = blkfile_stat,
    .seek = blkfile_seek,
};
