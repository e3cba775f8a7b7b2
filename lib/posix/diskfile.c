/*
 * Files and directories on the disk as kinds of open file (file.h): the
 * operations of an OFD_DISK or OFD_DISKDIR description, whose inode is
 * fsd's (disk.c makes the requests).  The description holds the inode
 * number and, for a directory, its absolute path (for *at calls and
 * fchdir).  Every operation is a round trip to fsd, at most FSD_DATA
 * bytes each, copying straight between the slot's buffer and the
 * program's memory; nothing is cached in the libOS (fsd's buffer cache
 * is the instance's).  O_APPEND writes at fsd's size of the file, O_SYNC
 * and O_DSYNC commit before they return.
 *
 * Operations called with the arena lock held (stat, getdents, close)
 * drop it around their request (they never sleep holding it); the
 * description cannot be reused meanwhile (close runs with no references
 * left and the kind still set).
 */
#include "posix.h"
#include "file.h"

#define L_O_DSYNC 010000
#define L_O_SYNC  04010000

/* Linux's struct stat from fsd's. */
void disk_fill_stat(const struct extfs_stat *s, struct l_stat *st)
{
    *st = (struct l_stat){
        .dev = DISK_DEV,
        .ino = s->ino,
        .nlink = s->nlink,
        .mode = s->mode,
        .uid = s->uid,
        .gid = s->gid,
        .size = s->size,
        .blksize = 4096,
        .blocks = s->blocks,                            /* 512-byte units */
        .atime_sec = (uint64_t)s->atime_ns / 1000000000u,
        .atime_nsec = (uint64_t)s->atime_ns % 1000000000u,
        .mtime_sec = (uint64_t)s->mtime_ns / 1000000000u,
        .mtime_nsec = (uint64_t)s->mtime_ns % 1000000000u,
        .ctime_sec = (uint64_t)s->ctime_ns / 1000000000u,
        .ctime_nsec = (uint64_t)s->ctime_ns % 1000000000u,
    };
}

/* fsd's stat of ino.  Errors: fsd's. */
long disk_stat_ino(uint32_t ino, struct extfs_stat *st)
{
    struct fsd_slot *s = disk_slot_get();
    s->ino = ino;
    long r = disk_submit(s, FSD_OP_STAT);
    if (r == 0)
        *st = s->st;
    disk_slot_put(s);
    return r;
}

/* n bytes at off of ino, through slots of FSD_DATA bytes.  Returns the
 * bytes moved (short at the end of the file), or an error if none. */
static long disk_rw(uint32_t ino, void *buf, uint64_t n, uint64_t off, bool wr, uint32_t flags,
                    uint64_t *end)
{
    uint64_t done = 0;
    struct fsd_slot *s = disk_slot_get();
    long r = 0;
    while (done < n) {
        uint64_t k = n - done < FSD_DATA ? n - done : FSD_DATA;
        s->ino = ino;
        s->off = off + done;
        s->len = k;
        s->flags = flags & ~(done + k < n ? FSD_SYNC : 0u);     /* commit once, after the last piece */
        if (wr)
            memcpy(s->data, (const uint8_t *)buf + done, k);
        r = disk_submit(s, wr ? FSD_OP_WRITE : FSD_OP_READ);
        if (r <= 0)
            break;
        if (!wr)
            memcpy((uint8_t *)buf + done, s->data, (uint64_t)r);
        if (end)
            *end = s->st.size;          /* FSD_APPEND: where this piece ended */
        done += (uint64_t)r;
        if ((uint64_t)r < k)
            break;
    }
    disk_slot_put(s);
    return done ? (long)done : r;
}

static uint32_t sync_flags(const struct ofd *o)
{
    return (o->flags & (L_O_SYNC | L_O_DSYNC)) ? FSD_SYNC : 0;
}

static long diskfile_read(struct ofd *o, void *buf, uint64_t n)
{
    long r = disk_rw(o->dino, buf, n, o->pos, false, 0, NULL);
    if (r > 0)
        o->pos += (uint64_t)r;
    return r;
}

static long diskfile_write(struct ofd *o, const void *buf, uint64_t n)
{
    uint64_t end = 0;
    if (o->flags & L_O_APPEND) {
        /* fsd writes at the file's end and says where that was. */
        long r = disk_rw(o->dino, (void *)buf, n, 0, true, FSD_APPEND | sync_flags(o), &end);
        if (r > 0)
            o->pos = end;
        return r;
    }
    long r = disk_rw(o->dino, (void *)buf, n, o->pos, true, sync_flags(o), NULL);
    if (r > 0)
        o->pos += (uint64_t)r;
    return r;
}

static long diskfile_pread(struct ofd *o, void *buf, uint64_t n, uint64_t off)
{
    return disk_rw(o->dino, buf, n, off, false, 0, NULL);
}

static long diskfile_pwrite(struct ofd *o, const void *buf, uint64_t n, uint64_t off)
{
    return disk_rw(o->dino, (void *)buf, n, off, true, sync_flags(o), NULL);
}

static void disk_stat_op(struct ofd *o, struct l_stat *st)
{
    struct extfs_stat s;
    shm_unlock();
    long r = disk_stat_ino(o->dino, &s);
    shm_lock();
    if (r == 0)
        disk_fill_stat(&s, st);
    else
        file_stat_synthetic(st, o->dino, 0, 0);     /* gone: nothing better to say */
}

static long diskfile_seek(struct ofd *o, int64_t off, int whence)
{
    struct extfs_stat s = {0};
    if (whence == 2) {
        long r = disk_stat_ino(o->dino, &s);
        if (r)
            return r;
    }
    shm_lock();
    long r = ofd_seek_sized(o, off, whence, s.size);
    shm_unlock();
    return r;
}

static long diskdir_seek(struct ofd *o, int64_t off, int whence)
{
    if (whence != 0 || off < 0)
        return -L_EINVAL;
    o->pos = (uint64_t)off;             /* an entry index, as telldir gave it */
    return off;
}

/* One linux_dirent64 at out (room bytes left); its size, or 0 if it does
 * not fit. */
static uint64_t put_dirent(uint8_t *out, uint64_t room, uint64_t ino, uint64_t next, uint8_t type,
                           const char *name, size_t len)
{
    uint64_t rec = (19 + len + 1 + 7) & ~7ul;
    if (rec > room)
        return 0;
    memset(out, 0, rec);
    memcpy(out, &ino, 8);
    memcpy(out + 8, &next, 8);
    uint16_t r16 = (uint16_t)rec;
    memcpy(out + 16, &r16, 2);
    out[18] = type;
    memcpy(out + 19, name, len);
    return rec;
}

/* getdents64: position 0 is ".", 1 "..", then fsd's entries (index pos - 2). */
static long diskdir_getdents(struct ofd *o, void *buf, uint64_t n)
{
    uint8_t *out = buf;
    uint64_t used = 0, pos = o->pos;
    uint32_t ino = o->dino;
    char *path = o->dpath;
    bool full = false;
    shm_unlock();
    long r = 0;
    if (pos == 0) {
        uint64_t k = put_dirent(out, n, ino, 1, FS_DT_DIR, ".", 1);
        if (!k) {
            full = true;
            goto out;
        }
        used += k;
        pos = 1;
    }
    if (pos == 1) {
        uint32_t up = ino;
        char p[FSD_PATH_MAX];
        snprintf(p, sizeof(p), "%s/..", path);
        disk_path_op(FSD_OP_LOOKUP, p, NULL, 0, 0, NULL, &up);
        uint64_t k = put_dirent(out + used, n - used, up, 2, FS_DT_DIR, "..", 2);
        if (!k) {
            full = true;
            goto out;
        }
        used += k;
        pos = 2;
    }
    struct fsd_slot *s = disk_slot_get();
    for (;;) {
        s->ino = ino;
        s->off = pos - 2;
        r = disk_submit(s, FSD_OP_READDIR);
        if (r <= 0)
            break;
        uint64_t at = 0;
        while (at < (uint64_t)r) {
            const struct fsd_dirent *d = (const struct fsd_dirent *)(s->data + at);
            uint64_t k = put_dirent(out + used, n - used, d->ino, pos + 1, d->type, d->name, d->len);
            if (!k) {
                full = true;
                break;
            }
            used += k;
            pos++;
            at += (sizeof(*d) + d->len + 1 + 7) & ~7ul;
        }
        if (at < (uint64_t)r || s->next == 0)
            break;                      /* the program's buffer is full, or the directory ended */
    }
    disk_slot_put(s);
out:
    shm_lock();
    o->pos = pos;
    if (used == 0 && r < 0)
        return r;
    if (used == 0 && full)
        return -L_EINVAL;               /* the buffer cannot hold one entry */
    return (long)used;
}

static void diskfile_close(struct ofd *o)
{
    uint32_t ino = o->dino;
    shm_unlock();
    struct fsd_slot *s = disk_slot_get();
    s->ino = ino;
    disk_submit(s, FSD_OP_CLOSE);
    disk_slot_put(s);
    shm_lock();
}

static void diskdir_close(struct ofd *o)
{
    if (o->dpath)
        shm_free(o->dpath, FSD_PATH_MAX);
    o->dpath = NULL;
}


const struct file_ops diskfile_ops = {
    .name = "diskfile", .read = diskfile_read, .write = diskfile_write, .pread = diskfile_pread,
    .pwrite = diskfile_pwrite, .stat = disk_stat_op, .seek = diskfile_seek, .close = diskfile_close,
};

const struct file_ops diskdir_ops = {
    .name = "diskdir", .stat = disk_stat_op, .seek = diskdir_seek, .getdents = diskdir_getdents,
    .close = diskdir_close,
};
