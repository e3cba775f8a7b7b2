/*
 * lib/fs on a host image: a musl program (linked with libext2fs built from
 * Debian's e2fsprogs source) makes files, directories, symlinks, hard
 * links, sparse files, permissions and times, renames over an existing
 * file, grows directories past a block, truncates and unlinks, all
 * through lib/fs with its journal; then the host's `e2fsck -fn` must find
 * the image clean and `debugfs` must read the same contents back, and a
 * second mount must see everything.  Also: an image without a journal,
 * replay at mount (revoked blocks stay as they are), files unlinked while
 * open (the orphan list, freed at release or by the next mount), and the
 * refusals (a journal superblock with a bad checksum, wrong block size).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "../../lib/fs/extfs.h"
#include "extfs_host.h"

static char img[4200], logf[4200];

static uint32_t must_create(struct extfs *fs, const char *path, uint32_t mode)
{
    uint32_t ino = 0;
    int r = extfs_create(fs, path, mode, &ino);
    CHECK(r == 0, "create %s: %d", path, r);
    return ino;
}

static void must_write(struct extfs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len)
{
    int64_t w = extfs_write(fs, ino, off, buf, len);
    CHECK(w == (int64_t)len, "write ino %u at %llu: %lld", ino, (unsigned long long)off, (long long)w);
}

static void pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 12)) & 0xff);
}

/* debugfs -R 'cat path' equals want (len bytes). */
static void debugfs_cat_is(const char *path, const void *want, size_t len)
{
    char out[4300];
    FILE *f;
    uint8_t *got;
    size_t n;

    snprintf(out, sizeof(out), "%s.cat", img);
    remove(out);
    CHECK(run(logf, "debugfs -R 'cat %s' '%s' > '%s' 2>/dev/null; true", path, img, out) == 0, "debugfs");
    f = fopen(out, "rb");
    CHECK(f != NULL, "debugfs output");
    if (!f)
        return;
    got = malloc(len + 16);
    n = fread(got, 1, len + 16, f);
    fclose(f);
    CHECK(n == len && memcmp(got, want, len) == 0, "debugfs cat %s: %zu bytes, want %zu", path, n, len);
    free(got);
}

static int count_cb(void *arg, const char *name, size_t len, uint32_t ino, int type)
{
    (void)name; (void)len; (void)ino; (void)type;
    ++*(int *)arg;
    return 0;
}

static void test_journaled(void)
{
    struct blkdev *dev;
    struct extfs *fs;
    struct extfs_stat st;
    struct extfs_counters c;
    static uint8_t big[300000], buf[300000];
    const char *hello = "hello, veneer\n";
    char link[300], name[300];
    uint32_t ino, a, b, sparse, bigf;
    int r, n;

    CHECK(make_image(img, logf, 64, 4, "") == 0, "mke2fs");
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "open image");
    r = extfs_mount(dev, NULL, &fs);
    CHECK(r == 0, "mount: %d", r);
    if (r)
        return;
    CHECK(extfs_mkdir(fs, "/d", 0750) == 0, "mkdir");
    CHECK(extfs_mkdir(fs, "/d", 0750) == -EEXIST, "mkdir twice");
    CHECK(extfs_mkdir(fs, "/d/sub", 0700) == 0, "mkdir sub");
    a = must_create(fs, "/d/a.txt", 0644);
    must_write(fs, a, 0, hello, strlen(hello));
    CHECK(extfs_create(fs, "/d/a.txt", 0644, NULL) == -EEXIST, "create twice");
    CHECK(extfs_create(fs, "/nodir/x", 0644, NULL) == -ENOENT, "create in a missing dir");
    CHECK(extfs_create(fs, "/d/a.txt/x", 0644, NULL) == -ENOTDIR, "create under a file");
    bigf = must_create(fs, "/d/big", 0600);
    pattern(big, sizeof(big), 1);
    must_write(fs, bigf, 0, big, sizeof(big));
    /* Partial overwrite in the middle, across a block boundary. */
    memset(big + 4000, 'Z', 300);
    must_write(fs, bigf, 4000, big + 4000, 300);
    sparse = must_create(fs, "/sparse", 0644);
    must_write(fs, sparse, 10u << 20, "end", 3);
    must_write(fs, sparse, 5000, "mid", 3);
    CHECK(extfs_symlink(fs, "a.txt", "/d/link") == 0, "symlink");
    memset(link, 'x', 200);
    memcpy(link, "/d/", 3);
    link[200] = 0;
    CHECK(extfs_symlink(fs, link, "/d/longlink") == 0, "slow symlink");
    CHECK(extfs_link(fs, "/d/a.txt", "/d/hard") == 0, "link");
    CHECK(extfs_link(fs, "/d/sub", "/d/sub2") == -EPERM, "link a directory");
    /* rename over an existing file */
    b = must_create(fs, "/d/new", 0644);
    must_write(fs, b, 0, "NEW", 3);
    ino = must_create(fs, "/d/old", 0644);
    must_write(fs, ino, 0, "OLD", 3);
    CHECK(extfs_rename(fs, "/d/new", "/d/old") == 0, "rename over");
    CHECK(extfs_lookup(fs, "/d/new", &ino) == -ENOENT, "old name gone");
    CHECK(extfs_rename(fs, "/d/sub", "/d/sub/x") == -EINVAL, "dir into itself");
    CHECK(extfs_mkdir(fs, "/e", 0755) == 0, "mkdir e");
    CHECK(extfs_rename(fs, "/d/sub", "/e/moved") == 0, "move a dir across parents");
    /* A directory that needs several blocks, then most of it removed. */
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/e/file-with-a-long-name-%04d-padding-padding-padding", i);
        must_create(fs, name, 0600);
    }
    for (int i = 0; i < 300; i += 2) {
        snprintf(name, sizeof(name), "/e/file-with-a-long-name-%04d-padding-padding-padding", i);
        CHECK(extfs_unlink(fs, name) == 0, "unlink %d", i);
    }
    n = 0;
    CHECK(extfs_lookup(fs, "/e", &ino) == 0 && extfs_readdir(fs, ino, count_cb, &n) == 0, "readdir");
    CHECK(n == 151, "entries in /e: %d", n);
    CHECK(extfs_rmdir(fs, "/e") == -ENOTEMPTY, "rmdir non-empty");
    CHECK(extfs_mkdir(fs, "/gone", 0755) == 0 && extfs_rmdir(fs, "/gone") == 0, "rmdir");
    CHECK(extfs_unlink(fs, "/d") == -EISDIR, "unlink a dir");
    /* Truncate: shrink to an unaligned size, grow back (zeros). */
    ino = must_create(fs, "/trunc", 0644);
    must_write(fs, ino, 0, big, 20000);
    CHECK(extfs_truncate(fs, ino, 5000) == 0, "truncate");
    CHECK(extfs_truncate(fs, ino, 9000) == 0, "grow");
    /* Permissions and times. */
    st.mode = 0640;
    st.uid = 1000;
    st.gid = 100;
    st.atime_ns = 1000000000ll * 1700000000 + 123456789;
    st.mtime_ns = 1000000000ll * 1600000000 + 5;
    CHECK(extfs_setattr(fs, a, EXTFS_SET_MODE | EXTFS_SET_UID | EXTFS_SET_GID | EXTFS_SET_ATIME |
                                   EXTFS_SET_MTIME, &st) == 0, "setattr");
    CHECK(extfs_fsync(fs, a) == 0, "fsync");
    extfs_get_counters(fs, &c);
    CHECK(c.commits >= 1 && c.log_blocks > 0, "journal used: %llu commits", (unsigned long long)c.commits);
    printf("journaled run: %llu commits, %llu checkpoints, %llu log blocks, %llu revokes; "
           "cache %llu hits %llu misses; device %llu writes %llu flushes\n",
           (unsigned long long)c.commits, (unsigned long long)c.checkpoints,
           (unsigned long long)c.log_blocks, (unsigned long long)c.revokes,
           (unsigned long long)c.cache_hits, (unsigned long long)c.cache_misses,
           (unsigned long long)c.dev_writes, (unsigned long long)c.dev_flushes);
    CHECK(extfs_unmount(fs) == 0, "unmount");
    blkdev_close(dev);

    r = run(logf, "e2fsck -fn '%s'", img);
    CHECK(r == 0, "e2fsck -fn: exit %d (see %s)", r, logf);
    debugfs_cat_is("/d/a.txt", hello, strlen(hello));
    debugfs_cat_is("/d/hard", hello, strlen(hello));
    debugfs_cat_is("/d/old", "NEW", 3);
    debugfs_cat_is("/d/big", big, sizeof(big));
    {
        uint8_t *sp = calloc(1, (10u << 20) + 3);
        memcpy(sp + 5000, "mid", 3);
        memcpy(sp + (10u << 20), "end", 3);
        debugfs_cat_is("/sparse", sp, (10u << 20) + 3);
        free(sp);
    }
    r = run(logf, "debugfs -R 'stat /d/a.txt' '%s' 2>/dev/null | grep -q 'Mode:  0640'", img);
    CHECK(r == 0, "debugfs sees mode 0640");
    r = run(logf, "debugfs -R 'stat /d/a.txt' '%s' 2>/dev/null | grep -q 'User:  1000   Group:   100'", img);
    CHECK(r == 0, "debugfs sees uid/gid");
    r = run(logf, "debugfs -R 'stat /d/link' '%s' 2>/dev/null | grep -q 'Fast link dest: \"a.txt\"'", img);
    CHECK(r == 0, "debugfs sees the fast symlink");

    /* Mount again: everything as left. */
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "reopen");
    CHECK(extfs_mount(dev, NULL, &fs) == 0, "remount");
    CHECK(extfs_lookup(fs, "/d/a.txt", &ino) == 0 && ino == a, "lookup");
    CHECK(extfs_stat(fs, a, &st) == 0 && st.nlink == 2 && (st.mode & 07777) == 0640 &&
              st.mtime_ns == 1000000000ll * 1600000000 + 5 &&
              st.atime_ns == 1000000000ll * 1700000000 + 123456789, "stat a: nlink %u mode %o", st.nlink,
          st.mode);
    CHECK(extfs_lookup(fs, "/d/link", &ino) == 0 && extfs_readlink(fs, ino, link, sizeof(link)) == 5 &&
              !strcmp(link, "a.txt"), "readlink");
    CHECK(extfs_lookup(fs, "/d/longlink", &ino) == 0 && extfs_readlink(fs, ino, name, sizeof(name)) == 200,
          "slow readlink");
    CHECK(extfs_lookup(fs, "/d/big", &ino) == 0 && extfs_read(fs, ino, 0, buf, sizeof(buf)) == (int64_t)sizeof(big) &&
              !memcmp(buf, big, sizeof(big)), "read big");
    CHECK(extfs_lookup(fs, "/sparse", &ino) == 0 && extfs_stat(fs, ino, &st) == 0 &&
              st.size == (10u << 20) + 3 && st.blocks <= 3 * 8 + 8, "sparse: size %llu blocks %llu",
          (unsigned long long)st.size, (unsigned long long)st.blocks);
    CHECK(extfs_lookup(fs, "/trunc", &ino) == 0 && extfs_read(fs, ino, 0, buf, 20000) == 9000 &&
              !memcmp(buf, big, 5000), "truncated contents");
    {
        static const uint8_t zeros[4000];
        CHECK(!memcmp(buf + 5000, zeros, 4000), "grown tail reads as zeros");
    }
    CHECK(extfs_lookup(fs, "/e/moved", &ino) == 0, "moved dir");
    CHECK(extfs_lookup(fs, "/e/moved/..", &b) == 0 && extfs_lookup(fs, "/e", &a) == 0 && a == b, "moved dir's ..");
    CHECK(extfs_unmount(fs) == 0, "unmount 2");
    blkdev_close(dev);
    r = run(logf, "e2fsck -fn '%s'", img);
    CHECK(r == 0, "e2fsck -fn after remount: exit %d", r);
}

static void test_refusals(void)
{
    struct blkdev *dev;
    struct extfs *fs;
    int r;

    /* A journal superblock whose checksum fails: refused, not replayed. */
    CHECK(make_image(img, logf, 16, 4, "") == 0, "mke2fs");
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "open");
    CHECK(extfs_mount(dev, NULL, &fs) == 0, "mount");
    must_create(fs, "/f", 0644);
    CHECK(extfs_sync(fs) == 0, "sync");
    extfs_abandon(fs);
    blkdev_close(dev);
    CHECK(run(logf, "b=$(debugfs -R 'bmap <8> 0' '%s' 2>/dev/null); "
                    "printf '\\377' | dd of='%s' bs=1 seek=$((b * 4096 + 0xfc)) conv=notrunc 2>/dev/null",
              img, img) == 0, "corrupt the journal superblock's checksum");
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "open");
    CHECK((r = extfs_mount(dev, NULL, &fs)) == -EUCLEAN, "mount with a bad journal checksum: %d", r);
    blkdev_close(dev);
    /* Block size different from the device's. */
    CHECK(blkdev_file_open(img, 1024, 0, &dev) == 0, "open 1k");
    CHECK((r = extfs_mount(dev, NULL, &fs)) == -EINVAL, "1k device: %d", r);
    blkdev_close(dev);
    /* Not a file system. */
    CHECK(blkdev_mem_create(4096, 64, &dev) == 0, "mem");
    CHECK((r = extfs_mount(dev, NULL, &fs)) == -EINVAL, "zeros: %d", r);
    blkdev_close(dev);
}

/* Replay by lib/fs at mount: a mount abandoned after commits (as by a
 * power cut) mounts again, with the committed state, and is clean. */
static void test_replay(void)
{
    struct blkdev *dev;
    struct extfs *fs;
    struct extfs_counters c;
    char name[64];
    uint32_t ino;
    static uint8_t big[3 * 4096];
    int r;

    CHECK(make_image(img, logf, 16, 4, "") == 0, "mke2fs");
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "open");
    CHECK(extfs_mount(dev, NULL, &fs) == 0, "mount");
    ino = must_create(fs, "/f", 0644);
    must_write(fs, ino, 0, "committed", 9);
    /* A directory of several blocks (metadata, logged), then gone: its
     * freed blocks get revoke records, and a file written after may get
     * them as data; replay must not write the old directory over it. */
    CHECK(extfs_mkdir(fs, "/d", 0755) == 0, "mkdir");
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/d/a-rather-long-name-to-fill-blocks-%04d", i);
        must_create(fs, name, 0644);
    }
    CHECK(extfs_sync(fs) == 0, "sync 1");
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/d/a-rather-long-name-to-fill-blocks-%04d", i);
        CHECK(extfs_unlink(fs, name) == 0, "unlink %d", i);
    }
    CHECK(extfs_rmdir(fs, "/d") == 0, "rmdir");
    CHECK(extfs_sync(fs) == 0, "sync 2");
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 3);
    for (int k = 0; k < 6; k++) {
        snprintf(name, sizeof(name), "/g%d", k);
        ino = must_create(fs, name, 0644);
        must_write(fs, ino, 0, big, sizeof(big));
    }
    CHECK(extfs_sync(fs) == 0, "sync 3");
    extfs_get_counters(fs, &c);
    CHECK(c.revokes > 0, "revoke records written: %llu", (unsigned long long)c.revokes);
    ino = must_create(fs, "/uncommitted", 0644);
    extfs_abandon(fs);

    CHECK((r = extfs_mount(dev, NULL, &fs)) == 0, "mount replays: %d", r);
    if (r == 0) {
        extfs_get_counters(fs, &c);
        CHECK(c.replayed_transactions >= 3, "replayed %llu transactions", (unsigned long long)c.replayed_transactions);
        CHECK(c.replayed_revoked > 0, "revoked copies skipped: %llu", (unsigned long long)c.replayed_revoked);
        CHECK(extfs_lookup(fs, "/f", &ino) == 0, "replayed /f");
        CHECK(extfs_read(fs, ino, 0, name, sizeof(name)) == 9 && !memcmp(name, "committed", 9), "its data");
        CHECK(extfs_lookup(fs, "/d", &ino) == -ENOENT, "the removed directory stays removed");
        CHECK(extfs_lookup(fs, "/uncommitted", &ino) == -ENOENT, "the uncommitted file is not there");
        for (int k = 0; k < 6; k++) {
            static uint8_t got[sizeof(big)];
            snprintf(name, sizeof(name), "/g%d", k);
            CHECK(extfs_lookup(fs, name, &ino) == 0 && extfs_read(fs, ino, 0, got, sizeof(got)) == (int64_t)sizeof(got) &&
                  !memcmp(got, big, sizeof(big)), "%s intact after replay (revoked blocks not replayed)", name);
        }
        CHECK(extfs_unmount(fs) == 0, "unmount");
    }
    blkdev_close(dev);
    r = run(logf, "e2fsck -fn '%s'", img);
    CHECK(r == 0, "clean after lib/fs's replay: %d", r);
}

static uint32_t held_ino;

static int held(void *arg, uint32_t ino)
{
    (void)arg;
    return ino == held_ino;
}

/* A file unlinked while open stays readable until released; one left on
 * the orphan list by a crash is freed by the next mount. */
static void test_orphans(void)
{
    struct blkdev *dev;
    struct extfs *fs;
    struct extfs_counters c;
    struct extfs_opts o = {.in_use = held};
    char buf[16];
    uint32_t ino;
    int r;

    CHECK(make_image(img, logf, 16, 4, "") == 0, "mke2fs");
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "open");
    CHECK(extfs_mount(dev, &o, &fs) == 0, "mount");
    held_ino = must_create(fs, "/open", 0644);
    must_write(fs, held_ino, 0, "still here", 10);
    CHECK(extfs_unlink(fs, "/open") == 0, "unlink while open");
    CHECK(extfs_lookup(fs, "/open", &ino) == -ENOENT, "name gone");
    CHECK(extfs_read(fs, held_ino, 0, buf, sizeof(buf)) == 10 && !memcmp(buf, "still here", 10), "data still there");
    CHECK(extfs_write(fs, held_ino, 10, "!", 1) == 1, "and writable");
    CHECK(extfs_fsync(fs, held_ino) == 0, "fsync of an open unlinked file");
    extfs_get_counters(fs, &c);
    CHECK(c.orphans == 1, "one orphan");
    ino = held_ino;
    held_ino = 0;                           /* the last reference goes */
    CHECK(extfs_release(fs, ino) == 0, "release");
    /* A caller's inode number never reaches a reserved inode (8: the journal). */
    CHECK(extfs_write(fs, 8, 0, "x", 1) == -ENOENT && extfs_read(fs, 7, 0, buf, 1) == -ENOENT &&
          extfs_truncate(fs, 8, 0) == -ENOENT, "reserved inodes refused");
    CHECK(extfs_read(fs, ino, 0, buf, sizeof(buf)) == -ENOENT, "freed at release");
    held_ino = must_create(fs, "/open2", 0644);
    must_write(fs, held_ino, 0, "crash", 5);
    CHECK(extfs_unlink(fs, "/open2") == 0, "unlink while open");
    CHECK(extfs_sync(fs) == 0, "sync");
    extfs_abandon(fs);                      /* the system goes down with it open */
    held_ino = 0;
    CHECK((r = extfs_mount(dev, &o, &fs)) == 0, "mount: %d", r);
    if (r == 0) {
        extfs_get_counters(fs, &c);
        CHECK(c.orphans_freed == 1, "mount freed the orphan: %llu", (unsigned long long)c.orphans_freed);
        CHECK(extfs_unmount(fs) == 0, "unmount");
    }
    blkdev_close(dev);
    r = run(logf, "e2fsck -fn '%s'", img);
    CHECK(r == 0, "clean after orphans: %d", r);
}

static void test_unjournaled(void)
{
    struct blkdev *dev;
    struct extfs *fs;
    uint32_t ino;
    int r;

    remove(img);
    CHECK(run(logf, "mke2fs -q -F -t ext2 -b 4096 '%s' 16M", img) == 0, "mke2fs ext2");
    CHECK(blkdev_file_open(img, 4096, 0, &dev) == 0, "open");
    CHECK(extfs_mount(dev, NULL, &fs) == 0, "mount ext2");
    ino = must_create(fs, "/plain", 0644);
    must_write(fs, ino, 0, "ext2", 4);
    CHECK(extfs_mkdir(fs, "/dir", 0755) == 0, "mkdir");
    CHECK(extfs_unmount(fs) == 0, "unmount");
    blkdev_close(dev);
    r = run(logf, "e2fsck -fn '%s'", img);
    CHECK(r == 0, "ext2 e2fsck -fn: %d", r);
    debugfs_cat_is("/plain", "ext2", 4);
}

int main(int argc, char **argv)
{
    (void)argc;
    scratch_init(argv[0], "extfs-tmp");
    snprintf(img, sizeof(img), "%s/fs.img", scratch);
    snprintf(logf, sizeof(logf), "%s/test_extfs.log", scratch);
    remove(logf);
    test_journaled();
    test_refusals();
    test_replay();
    test_orphans();
    test_unjournaled();
    if (failures)
        printf("%d failures (tool output in %s)\n", failures, logf);
    else
        printf("lib/fs: all checks passed\n");
    return failures ? 1 : 0;
}
