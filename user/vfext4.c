/*
 * A libOS with its own ext4 file system on its own SR-IOV virtual
 * function: the manager (user/vfmgr.c, its ext4 run) granted it the VF's
 * device capability (slot VN_CAP_SPAWN_SHARE) with one private namespace
 * holding a host-made ext4 image.  lib/fs mounts it through blkdev_vf.c,
 * whose driver half (vf_io.c) drives the VF with drivers/nvme in this
 * program: the data path has no kernel in it and shares nothing with the
 * other VF's libOS but the controller.
 *
 * arg0: the VF's number n (its namespace is nsid n + 1, the byte pattern
 * is keyed by it), arg1: KiB of file data to write (0: DATA_KIB).  It
 * makes /vfN/hello and /vfN/data (the pattern, in CHUNK pieces), fsyncs
 * and unmounts (the clean image the host's e2fsck -fn checks), prints its
 * throughput, then remounts and reads both back.  It checks the back
 * end's refusals first: bad block sizes, a capability that is no device,
 * a second open.
 */
#include <errno.h>
#include <libveneer.h>
#include <vn.h>

#include "blkdev_vf.h"
#include "extfs.h"

int main(uint64_t vfn, uint64_t kib);

#define DATA_KIB 2048
#define CHUNK    65536

static uint8_t buf[CHUNK];
static int failures;

#define EXPECT(cond, ...) \
    do { if (!(cond)) { printf("vfext4: FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

/* The byte VF vfn's data file holds at offset off (tests/qemu/sriov_ext4.t). */
static uint8_t pattern(uint64_t vfn, uint64_t off)
{
    return (uint8_t)((vfn * 37) ^ (off >> 12) ^ (off * 7) ^ 0x5c);
}

static uint64_t now_ns(void)
{
    return vn_sysinfo->rtc_boot_sec * 1000000000ull + vn_clock_ns();
}

/* Write (or read and compare) the data file; bytes differing, or -1. */
static int64_t data_pass(struct extfs *fs, uint32_t ino, uint64_t vfn, uint64_t bytes, int write)
{
    int64_t bad = 0;
    for (uint64_t off = 0; off < bytes; off += CHUNK) {
        if (write)
            for (uint32_t i = 0; i < CHUNK; i++)
                buf[i] = pattern(vfn, off + i);
        int64_t n = write ? extfs_write(fs, ino, off, buf, CHUNK) : extfs_read(fs, ino, off, buf, CHUNK);
        if (n != CHUNK)
            return -1;
        for (uint32_t i = 0; !write && i < CHUNK; i++)
            bad += buf[i] != pattern(vfn, off + i);
    }
    return bad;
}

int main(uint64_t vfn, uint64_t kib)
{
    struct blkdev *dev;
    struct extfs *fs;
    struct extfs_opts o = {.cache_blocks = 256, .now_ns = now_ns};
    char dir[16], hello[32], data[32], text[32];
    uint32_t ino;
    if (kib == 0)
        kib = DATA_KIB;
    kib -= kib % (CHUNK / 1024);
    snprintf(dir, sizeof dir, "/vf%lu", (unsigned long)vfn);
    snprintf(hello, sizeof hello, "%s/hello", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    int tl = snprintf(text, sizeof text, "hello from VF %lu\n", (unsigned long)vfn);

    /* The back end's refusals first: a bad block size, a capability that
     * is not a device (its own environment's). */
    struct blkdev *again;
    EXPECT(blkdev_vf_open(VN_CAP_SPAWN_SHARE, 1000, &again) == -EINVAL, "block size 1000");
    EXPECT(blkdev_vf_open(VN_CAP_SPAWN_SHARE, 1u << 17, &again) == -EINVAL, "block size 128 KiB");
    EXPECT(blkdev_vf_open(CAP_SELF, 4096, &again) == -ENODEV, "its own environment as a VF");
    int r = blkdev_vf_open(VN_CAP_SPAWN_SHARE, 4096, &dev);
    EXPECT(r == 0, "VF %lu: open: %d", (unsigned long)vfn, r);
    if (r)
        return 1;
    EXPECT(blkdev_vf_nsid(dev) == vfn + 1, "VF %lu: namespace %u", (unsigned long)vfn, blkdev_vf_nsid(dev));
    EXPECT(blkdev_vf_open(VN_CAP_SPAWN_SHARE, 4096, &again) == -EBUSY, "a second open");
    r = extfs_mount(dev, &o, &fs);
    EXPECT(r == 0, "VF %lu: mount: %d", (unsigned long)vfn, r);
    if (r) {
        blkdev_close(dev);
        return 1;
    }
    printf("vfext4 %lu: ext4 on its VF's namespace %u (%lu blocks of %u bytes), driven in user space\n",
           (unsigned long)vfn, blkdev_vf_nsid(dev), (unsigned long)dev->nblocks, dev->block_size);
    uint64_t t0 = vn_clock_ns();
    EXPECT(extfs_mkdir(fs, dir, 0755) == 0, "mkdir %s", dir);
    EXPECT(extfs_create(fs, hello, 0644, &ino) == 0, "create %s", hello);
    EXPECT(extfs_write(fs, ino, 0, text, (uint64_t)tl) == tl, "write %s", hello);
    EXPECT(extfs_create(fs, data, 0644, &ino) == 0, "create %s", data);
    EXPECT(data_pass(fs, ino, vfn, kib * 1024, 1) == 0, "write %s", data);
    EXPECT(extfs_fsync(fs, ino) == 0, "fsync");
    EXPECT(extfs_unmount(fs) == 0, "unmount");
    uint64_t ns = vn_clock_ns() - t0;
    printf("vfext4 %lu: wrote %lu KiB of files on ext4 in %lu ms: %lu KiB/s (%lu requests)\n", (unsigned long)vfn,
           (unsigned long)kib, (unsigned long)(ns / 1000000), (unsigned long)(kib * 1000000000ull / ns),
           (unsigned long)blkdev_vf_requests(dev));

    r = extfs_mount(dev, &o, &fs);
    EXPECT(r == 0, "remount: %d", r);
    if (r == 0) {
        int64_t bad = -1;
        if (extfs_lookup(fs, data, &ino) == 0)
            bad = data_pass(fs, ino, vfn, kib * 1024, 0);
        EXPECT(bad == 0, "%s read back: %ld bytes differ", data, (long)bad);
        char got[32] = {0};
        EXPECT(extfs_lookup(fs, hello, &ino) == 0 && extfs_read(fs, ino, 0, got, sizeof got) == tl &&
               memcmp(got, text, (size_t)tl) == 0, "%s read back", hello);
        EXPECT(extfs_unmount(fs) == 0, "unmount");
        if (bad == 0)
            printf("vfext4 %lu: read back %s and %lu KiB of %s, content checked\n", (unsigned long)vfn, hello,
                   (unsigned long)kib, data);
    }
    blkdev_close(dev);
    printf(failures ? "vfext4 %lu: %d checks FAILED\n" : "vfext4 %lu: done\n", (unsigned long)vfn, failures);
    return failures != 0;
}
