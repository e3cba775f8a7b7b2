/*
 * lib/fs on the Veneer block back end (blkdev_veneer.c), in QEMU on an
 * NVMe namespace holding a host-made ext4 image (tests/qemu/extfs_veneer.t,
 * which then checks the image with e2fsck and debugfs on the host).
 *
 * The program mounts the first root extent, makes a directory, a small
 * file, a 1 MiB file of a pattern written in 64 KiB pieces (the cache
 * writes it back with several requests in flight), a symlink, fsyncs,
 * reads everything back through a remount, and unmounts cleanly.  It
 * also checks the back end's refusals: a bad block size, a block past the
 * end, and a device made from a capability that is not an extent.
 */
#include <errno.h>

#include "blkdev_veneer.h"
#include "extfs.h"
#include "check.h"

int main(void);

static uint8_t buf[65536];

static uint8_t pat(uint64_t off)
{
    return (uint8_t)(off * 13 + (off >> 12));
}

static uint64_t now_ns(void)
{
    return vn_sysinfo->rtc_boot_sec * 1000000000ull + vn_clock_ns();
}

static int write_big(struct extfs *fs, uint32_t ino)
{
    for (uint64_t off = 0; off < (1u << 20); off += sizeof(buf)) {
        for (uint32_t i = 0; i < sizeof(buf); i++)
            buf[i] = pat(off + i);
        if (extfs_write(fs, ino, off, buf, sizeof(buf)) != (int64_t)sizeof(buf))
            return -1;
    }
    return 0;
}

static int read_big(struct extfs *fs, uint32_t ino)
{
    for (uint64_t off = 0; off < (1u << 20); off += sizeof(buf)) {
        if (extfs_read(fs, ino, off, buf, sizeof(buf)) != (int64_t)sizeof(buf))
            return -1;
        for (uint32_t i = 0; i < sizeof(buf); i++)
            if (buf[i] != pat(off + i))
                return -2;
    }
    return 0;
}

int main(void)
{
    /* The kernel's root extent, or (spawned by tests/user/blkd_sup.c) a
     * badged endpoint to a user-level driver environment. */
    capref_t root = vn_sysinfo->nblk ? (capref_t)vn_sysinfo->blk_cap : VN_CAP_SPAWN_SHARE;
    struct blkdev *dev, *bad;
    struct extfs *fs;
    struct extfs_opts o = {.cache_blocks = 256, .now_ns = now_ns};
    uint32_t ino;
    char link[64];

    CHECK(vn_sysinfo->nblk <= 1 && root > 0);
    CHECK_EQ(blkdev_veneer_open(root, 1000, &bad), -EINVAL);
    CHECK_EQ(blkdev_veneer_open(vn_sysinfo->nblk ? VN_CAP_ARCHIVE : CAP_SELF, 4096, &bad), -EINVAL);
    CHECK_EQ(blkdev_veneer_open(root, 4096, &dev), 0);
    if (check_failures)
        return check_done("extfs_veneer");
    printf("extfs_veneer: device of %lu blocks of %u bytes\n", (unsigned long)dev->nblocks, dev->block_size);
    CHECK_EQ(blkdev_read(dev, dev->nblocks, 1, buf), -EINVAL);

    CHECK_EQ(extfs_mount(dev, &o, &fs), 0);
    if (check_failures)
        return check_done("extfs_veneer");      /* no file system (a hostile driver: blkd_sup.c) */
    CHECK_EQ(extfs_mkdir(fs, "/d", 0755), 0);
    CHECK_EQ(extfs_create(fs, "/d/hello", 0644, &ino), 0);
    CHECK_EQ(extfs_write(fs, ino, 0, "hello from Veneer\n", 18), 18);
    CHECK_EQ(extfs_create(fs, "/big", 0600, &ino), 0);
    CHECK_EQ(write_big(fs, ino), 0);
    CHECK_EQ(extfs_symlink(fs, "/d/hello", "/link"), 0);
    CHECK_EQ(extfs_fsync(fs, ino), 0);
    CHECK_EQ(extfs_unmount(fs), 0);

    struct blkdev_veneer_stats st;
    blkdev_veneer_get_stats(dev, &st);
    printf("extfs_veneer: %lu requests, %lu flushes, %lu FUA writes, up to %u in flight, volatile cache %d\n",
           (unsigned long)st.requests, (unsigned long)st.flushes, (unsigned long)st.fua_writes, st.max_inflight,
           st.volatile_cache);
    CHECK(st.max_inflight > 1 && st.errors == 0 && st.flushes >= 2 && st.fua_writes >= 1);

    CHECK_EQ(extfs_mount(dev, &o, &fs), 0);
    CHECK_EQ(extfs_lookup(fs, "/big", &ino), 0);
    CHECK_EQ(read_big(fs, ino), 0);
    CHECK_EQ(extfs_lookup(fs, "/link", &ino), 0);
    CHECK_EQ(extfs_readlink(fs, ino, link, sizeof(link)), 8);
    CHECK(memcmp(link, "/d/hello", 8) == 0);
    CHECK_EQ(extfs_lookup(fs, "/d/hello", &ino), 0);
    CHECK_EQ(extfs_read(fs, ino, 0, buf, 100), 18);
    CHECK(memcmp(buf, "hello from Veneer\n", 18) == 0);
    CHECK_EQ(extfs_unmount(fs), 0);
    blkdev_close(dev);
    return check_done("extfs_veneer");
}
