/*
 * fsd: the disk file system of one POSIX instance.  The instance's init
 * starts it when it holds a disk extent (lib/posix/fsfd.c) and gives it
 * the extent (slot 1, CR_READ | CR_WRITE; or an SR-IOV VF's device
 * capability, which fsd drives itself with lib/fs/blkdev_vf.c), its own roots to the arena's
 * two runs (rdi, rsi) and a copy of the notification word every process
 * of the instance can signal (rdx).  fsd opens a request queue on the
 * extent (blkdev_veneer.c), mounts the ext4 file system on it with
 * lib/fs (which replays the journal if the last run was cut), and serves
 * the arena's request slots (lib/posix/fsd.h) one request at a time.
 *
 * A second extent (rcx, or 0), when init gives one, is served raw: byte
 * reads and writes at any offset (whole blocks through blkdev_veneer,
 * partial ones read, patched and written back) and flushes, for the
 * libOS's block device file (lib/posix/blkfile.c), which e2fsck opens.
 * Nothing of the file system's cache or journal touches it.
 *
 * Durability: FSYNC, SYNC and writes with FSD_SYNC commit the journal
 * (data home, log, FLUSH, commit block, FLUSH) before they answer; other
 * changes are committed within FSD_COMMIT_NS, as jbd2's commit interval.
 * fsd keeps the open-reference count of each inode the processes hold
 * (OPEN/CLOSE), which lib/fs asks for when a file's last name goes: such
 * a file stays, on ext4's orphan list, until its last CLOSE.
 *
 * fsd never takes the arena's lock, and it copies and checks everything
 * it reads from a slot before it acts (the instance's programs can write
 * the arena).  Linked as a native program: lib/fs and libext2fs are
 * built with musl's headers, and lib/vlibc supplies their libc on
 * libveneer (mk/fsd.mk).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blk_home.h>

#include "blkdev_veneer.h"
#include "blkdev_vf.h"
#include "extfs.h"
#include "../lib/posix/posix.h"

#define ARENA_END (SHM_BASE + SHM_PAGES * PAGE_SIZE)
#define RAW_BLOCK 4096              /* blkdev_veneer's block on the raw extent */

int main(uint64_t run0, uint64_t run1, uint64_t word, uint64_t rawext);

static struct fsd_table *tab;
static struct extfs *fs;
static uint64_t dirty_since;        /* first change not committed (0: none) */
static char path1[FSD_PATH_MAX], path2[FSD_PATH_MAX];
static uint8_t dirbuf[FSD_DATA];
static struct blkdev *raw;          /* the second extent, served raw (or NULL) */
static uint8_t rawbuf[FSD_DATA + 2 * RAW_BLOCK];

/* ------------------------------------------------------------ the raw extent */

/* Reads or writes len (at most FSD_DATA) bytes at byte off of the raw
 * extent, through whole blocks of rawbuf.  Returns len or -EINVAL (past
 * the end, counted without a wrap), -EIO. */
static int64_t raw_rw(int write, uint64_t off, uint64_t len, uint8_t *data)
{
    uint64_t size = raw->nblocks * RAW_BLOCK;
    if (off > size)
        return -EINVAL;
    if (len > size - off)
        len = size - off;                   /* a read or write stops at the end, as a device's */
    if (len == 0)
        return 0;
    uint64_t b0 = off / RAW_BLOCK, b1 = (off + len + RAW_BLOCK - 1) / RAW_BLOCK;
    uint32_t n = (uint32_t)(b1 - b0), head = (uint32_t)(off % RAW_BLOCK);
    int r;
    if (!write) {
        if ((r = blkdev_read(raw, b0, n, rawbuf)))
            return r;
        memcpy(data, rawbuf + head, len);
        return (int64_t)len;
    }
    if (head && (r = blkdev_read(raw, b0, 1, rawbuf)))
        return r;
    if ((off + len) % RAW_BLOCK && (n > 1 || !head) &&
        (r = blkdev_read(raw, b1 - 1, 1, rawbuf + (uint64_t)(n - 1) * RAW_BLOCK)))
        return r;
    memcpy(rawbuf + head, data, len);
    return (r = blkdev_write(raw, b0, n, rawbuf)) ? r : (int64_t)len;
}

/* ------------------------------------------------------------ open counts */

#define OPEN_MAX 1024               /* distinct inodes held open at once */
static struct { uint32_t ino, refs; } opens[OPEN_MAX];

static int open_find(uint32_t ino)
{
    for (int i = 0; i < OPEN_MAX; i++)
        if (opens[i].refs && opens[i].ino == ino)
            return i;
    return -1;
}

static int in_use(void *arg, uint32_t ino)
{
    (void)arg;
    return open_find(ino) >= 0;
}

static int64_t req_open(uint32_t ino)
{
    int i = open_find(ino);
    if (i < 0) {
        for (i = 0; i < OPEN_MAX && opens[i].refs; i++)
            ;
        if (i == OPEN_MAX)
            return -ENFILE;
        opens[i].ino = ino;
    }
    opens[i].refs++;
    return 0;
}

static int64_t req_close(uint32_t ino)
{
    int i = open_find(ino);
    if (i < 0)
        return -EBADF;
    if (--opens[i].refs)
        return 0;
    return extfs_release(fs, ino);
}

/* ------------------------------------------------------------ requests */

/* The request as copied out of the slot. */
struct req {
    int op;
    uint32_t ino, mode, flags;
    uint64_t off, len;
    struct extfs_stat st;
    uint8_t *data;
};

/* A NUL-terminated path copied from the buffer at off into dst; -EINVAL
 * without a NUL, -ENOENT if empty. */
static int take_path(const uint8_t *data, uint64_t off, char *dst)
{
    memcpy(dst, data + off, FSD_PATH_MAX);
    if (!memchr(dst, 0, FSD_PATH_MAX))
        return -ENAMETOOLONG;
    return dst[0] ? 0 : -ENOENT;
}

/* lookup, following symlinks in the last component too (at most 8). */
static int lookup_follow(char *path, uint32_t *ino)
{
    struct extfs_stat st;
    char target[FSD_PATH_MAX];
    for (int hops = 0;; hops++) {
        int r = extfs_lookup(fs, path, ino);
        if (r || (r = extfs_stat(fs, *ino, &st)))
            return r;
        if ((st.mode & 0170000) != 0120000)
            return 0;
        if (hops == 8)
            return -ELOOP;
        int n = extfs_readlink(fs, *ino, target, sizeof(target));
        if (n < 0)
            return n;
        if (target[0] == '/') {
            memcpy(path, target, (size_t)n + 1);
        } else {
            char *slash = strrchr(path, '/');
            size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
            if (dir + (size_t)n + 1 > FSD_PATH_MAX)
                return -ENAMETOOLONG;
            memcpy(path + dir, target, (size_t)n + 1);
        }
    }
}

struct dir_fill {
    uint64_t skip, seen;
    uint32_t used;
    uint8_t *out;
};

static int dir_fill_cb(void *arg, const char *name, size_t len, uint32_t ino, int type)
{
    struct dir_fill *f = arg;
    if (f->seen++ < f->skip)
        return 0;
    uint32_t rec = (uint32_t)((sizeof(struct fsd_dirent) + len + 1 + 7) & ~7ul);
    if (len > 255 || f->used + rec > FSD_DATA) {
        f->seen--;
        return 1;                   /* full: the rest next time */
    }
    struct fsd_dirent *d = (struct fsd_dirent *)(f->out + f->used);
    d->ino = ino;
    d->type = (uint8_t)type;
    d->len = (uint8_t)len;
    memcpy(d->name, name, len);
    d->name[len] = 0;
    f->used += rec;
    return 0;
}

static int64_t req_readdir(struct req *q, struct fsd_slot *s)
{
    struct dir_fill f = {.skip = q->off, .out = dirbuf};
    int r = extfs_readdir(fs, q->ino, dir_fill_cb, &f);
    if (r < 0)
        return r;
    memcpy(q->data, dirbuf, f.used);
    s->next = r == 1 ? f.seen : 0;
    return f.used;
}

static int64_t commit(void)
{
    int r = extfs_sync(fs);
    if (r == 0) {
        dirty_since = 0;
        tab->commits++;
    }
    return r;
}

static int modifies(int op)
{
    return op == FSD_OP_CREATE || op == FSD_OP_MKDIR || op == FSD_OP_SYMLINK || op == FSD_OP_LINK ||
           op == FSD_OP_UNLINK || op == FSD_OP_RMDIR || op == FSD_OP_RENAME || op == FSD_OP_SETATTR ||
           op == FSD_OP_WRITE || op == FSD_OP_TRUNCATE || op == FSD_OP_CLOSE;
}

/* Serves q (checked: op, len, data) into slot s; returns the result. */
static int64_t serve(struct req *q, struct fsd_slot *s)
{
    int64_t r = 0;
    uint32_t ino = 0;
    int two = q->op == FSD_OP_SYMLINK || q->op == FSD_OP_LINK || q->op == FSD_OP_RENAME;
    int one = two || q->op <= FSD_OP_RMDIR;
    if (one && (r = take_path(q->data, 0, path1)))
        return r;
    if (two && (r = take_path(q->data, FSD_PATH_MAX, path2)))
        return r;
    switch (q->op) {
    case FSD_OP_LOOKUP:
        r = q->flags & FSD_FOLLOW ? lookup_follow(path1, &ino) : extfs_lookup(fs, path1, &ino);
        if (!r && !(r = extfs_stat(fs, ino, &s->st)))
            s->ino = ino;
        return r;
    case FSD_OP_CREATE:
        r = extfs_create(fs, path1, q->mode & 07777, &ino);
        if (r == -EEXIST && !(q->flags & FSD_EXCL))
            r = lookup_follow(path1, &ino);
        if (!r && !(r = extfs_stat(fs, ino, &s->st)))
            s->ino = ino;
        return r;
    case FSD_OP_MKDIR:    return extfs_mkdir(fs, path1, q->mode & 07777);
    case FSD_OP_SYMLINK:  return extfs_symlink(fs, path2, path1);
    case FSD_OP_LINK:     return extfs_link(fs, path1, path2);
    case FSD_OP_UNLINK:   return extfs_unlink(fs, path1);
    case FSD_OP_RMDIR:    return extfs_rmdir(fs, path1);
    case FSD_OP_RENAME:   return extfs_rename(fs, path1, path2);
    case FSD_OP_STAT:     return extfs_stat(fs, q->ino, &s->st);
    case FSD_OP_SETATTR:
        r = extfs_setattr(fs, q->ino, q->mode, &q->st);
        return r ? r : extfs_stat(fs, q->ino, &s->st);
    case FSD_OP_READ:     return extfs_read(fs, q->ino, q->off, q->data, q->len);
    case FSD_OP_WRITE: {
        struct extfs_stat st;
        if (q->flags & FSD_APPEND) {
            if ((r = extfs_stat(fs, q->ino, &st)))
                return r;
            q->off = st.size;
        }
        r = extfs_write(fs, q->ino, q->off, q->data, q->len);
        s->st.size = r > 0 ? q->off + (uint64_t)r : q->off;
        if (r >= 0 && (q->flags & FSD_SYNC)) {
            int64_t c = commit();
            if (c)
                return c;
        }
        return r;
    }
    case FSD_OP_TRUNCATE:
        r = extfs_truncate(fs, q->ino, q->off);
        return r == 0 && (q->flags & FSD_SYNC) ? commit() : r;
    case FSD_OP_READLINK: {
        char *t = path2;
        r = extfs_readlink(fs, q->ino, t, FSD_PATH_MAX);
        if (r >= 0)
            memcpy(q->data, t, (size_t)r);
        return r;
    }
    case FSD_OP_READDIR:  return req_readdir(q, s);
    case FSD_OP_STATFS: {
        struct extfs_statfs st;
        r = extfs_statfs(fs, &st);
        if (!r)
            memcpy(q->data, &st, sizeof(st));
        return r;
    }
    case FSD_OP_FSYNC: {
        struct extfs_stat st;
        r = extfs_stat(fs, q->ino, &st);
        return r ? r : commit();
    }
    case FSD_OP_SYNC:     return commit();
    case FSD_OP_OPEN:     return req_open(q->ino);
    case FSD_OP_CLOSE:    return req_close(q->ino);
    case FSD_OP_UNMOUNT:
        if (raw && blkdev_flush(raw))
            printf("fsd: the raw extent's flush failed\n");
        r = extfs_unmount(fs);
        fs = NULL;
        printf("fsd: unmounted%s\n", r ? " with an error: the next mount replays" : " cleanly");
        return r;
    case FSD_OP_RAW_READ:
    case FSD_OP_RAW_WRITE:
        return raw ? raw_rw(q->op == FSD_OP_RAW_WRITE, q->off, q->len, q->data) : -ENODEV;
    case FSD_OP_RAW_FLUSH:
        return raw ? blkdev_flush(raw) : -ENODEV;
    }
    return -EINVAL;
}

/* Takes slot i's request if one is pending, checks it, serves it.
 * Returns whether it served one. */
static int serve_slot(int i)
{
    struct fsd_slot *s = &tab->slots[i];
    if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
        return 0;
    uint32_t seq = __atomic_load_n(&s->req_seq, __ATOMIC_ACQUIRE);
    if (seq == s->done_seq)
        return 0;
    struct req q = {.op = s->op, .ino = s->ino, .mode = s->mode, .flags = s->flags, .off = s->off,
                    .len = s->len, .st = s->st, .data = s->data};
    uint64_t a = (uint64_t)q.data;
    int64_t r;
    if (q.op < 1 || q.op >= FSD_OP_COUNT || q.len > FSD_DATA || a < SHM_BASE || a > ARENA_END - FSD_DATA)
        r = -EINVAL;
    else if (!fs)
        r = -EIO;                   /* unmounted */
    else
        r = serve(&q, s);
    if (modifies(q.op) && r >= 0 && !dirty_since)
        dirty_since = vn_clock_ns();
    s->result = r;
    tab->requests++;
    __atomic_store_n(&s->done_seq, seq, __ATOMIC_RELEASE);
    return 1;
}

/* ------------------------------------------------------------ start */

static int map_arena(capref_t r0, capref_t r1)
{
    struct vn_map_entry batch[64];
    for (uint64_t p = 0; p < SHM_PAGES; p += 64) {
        for (uint64_t k = 0; k < 64; k++)
            batch[k] = (struct vn_map_entry){SHM_BASE + (p + k) * PAGE_SIZE, (p + k) < 512 ? r0 : r1,
                                             VM_PROT_WRITE, (p + k) % 512};
        if (vn_page_map(CAP_SELF, batch, 64) != 64)
            return -1;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    return vn_sysinfo->rtc_boot_sec * 1000000000ull + vn_clock_ns();
}

static void bump_epoch(void)
{
    __atomic_add_fetch(&shared->epoch, 1, __ATOMIC_SEQ_CST);
}

int main(uint64_t run0, uint64_t run1, uint64_t word, uint64_t rawext)
{
    struct blkdev *dev;
    struct extfs_opts o = {.cache_blocks = 1024, .now_ns = now_ns, .in_use = in_use};
    struct extfs_counters c;
    if (map_arena((capref_t)run0, (capref_t)run1)) {
        printf("fsd: cannot map the arena\n");
        return 1;
    }
    tab = &shared->disk;
    struct vn_devinfo di;
    bool vf = vn_dev_info(VN_CAP_SPAWN_SHARE, &di) == 0 && (di.flags & VN_DEVF_VF);   /* drive it ourselves */
    int r = vf ? blkdev_vf_open(VN_CAP_SPAWN_SHARE, 4096, &dev)
               : blkdev_veneer_open(VN_CAP_SPAWN_SHARE, 4096, &dev);
    struct vn_blkinfo bi;
    capref_t ep;
    if (r == 0 && !vf && blk_home_info(VN_CAP_SPAWN_SHARE, &ep, &bi) == 0 && bi.base + bi.count < bi.ns_blocks) {
        int32_t rd = 0, wr = 0;     /* the namespace goes on past our extent: another owner's blocks */
        if (blkdev_veneer_probe_past_end(dev, &rd, &wr) == 0)
            printf("fsd: the block past our extent (namespace block %lu): read %s, write %s\n",
                   (unsigned long)(bi.base + bi.count), vn_strerror(rd), vn_strerror(wr));
    }
    if (r == 0 && (r = extfs_mount(dev, &o, &fs)))
        blkdev_close(dev);
    if (r) {
        printf("fsd: cannot mount the disk (error %d): no disk file system\n", r);
        __atomic_store_n(&tab->state, r, __ATOMIC_RELEASE);
        bump_epoch();
        return 1;
    }
    extfs_get_counters(fs, &c);
    struct extfs_statfs sf;
    extfs_statfs(fs, &sf);
    tab->replayed = c.replayed_transactions;
    printf("fsd: ext4 on the disk%s, %lu blocks of %lu bytes (%lu free); journal replayed %lu transactions, "
           "%lu orphans freed\n", vf ? " (an SR-IOV VF, driven by fsd)" : "", (unsigned long)sf.blocks,
           (unsigned long)sf.block_size, (unsigned long)sf.blocks_free, (unsigned long)c.replayed_transactions, (unsigned long)c.orphans_freed);
    if (rawext && blkdev_veneer_open((capref_t)rawext, RAW_BLOCK, &raw) == 0) {
        tab->raw_bytes = raw->nblocks * RAW_BLOCK;
        printf("fsd: a raw extent of %lu bytes as /dev/nvme1n1\n", (unsigned long)tab->raw_bytes);
    }
    __atomic_store_n(&tab->state, 1, __ATOMIC_RELEASE);
    bump_epoch();
    for (;;) {
        int served = 0;
        for (int i = 0; i < FSD_SLOTS; i++)
            served += serve_slot(i);
        if (!fs) {
            __atomic_store_n(&tab->state, 2, __ATOMIC_RELEASE);
            bump_epoch();
            return 0;
        }
        if (dirty_since && vn_clock_ns() - dirty_since >= FSD_COMMIT_NS && commit())
            printf("fsd: periodic commit failed\n");
        if (served) {
            bump_epoch();
            continue;
        }
        uint64_t wait = dirty_since ? dirty_since + FSD_COMMIT_NS - vn_clock_ns() : 1000000000ull;
        vn_notify_wait((capref_t)word, wait > FSD_COMMIT_NS ? 1000000 : wait + 1);
    }
}
