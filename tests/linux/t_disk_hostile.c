/* t_disk_hostile: the file calls refuse what a hostile program hands
 * them on the disk root (tests/qemu/disk_hostile.t; under Veneer "/" is
 * ext4 through fsd), and the file system keeps working afterwards.
 *   - pointers aimed at the POSIX libOS's memory (its text, the shared
 *     arena with fsd's request slots), the kernel half, 1 and unmapped
 *     pages, as paths, buffers, stat and statfs results: EFAULT;
 *   - paths without a NUL within PATH_MAX, a name longer than 255 bytes,
 *     a symlink loop, . and .. at the root, a directory renamed into
 *     itself, rmdir of a non-empty directory, unlink of a directory,
 *     O_DIRECTORY on a file, readlink of a file, negative offsets and
 *     sizes, a getdents buffer too small for one entry;
 *   - then 2000 calls with arguments drawn from those (fixed seed).
 * After them a file written, fsync'd and read back, and a directory
 * listing, must still work.  Runs on Linux too (the same addresses are
 * unmapped there), in DIR (default /root/hostile). */
#define _GNU_SOURCE
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

static void *const bad[] = {
    (void *)1, (void *)0x7d0000000000ul, (void *)0x7d8000000000ul, (void *)0x7d8000001000ul,
    (void *)0xffff800000000000ul, (void *)0x7ffffffff000ul - 0x1000000000ul,
};
#define NBAD (sizeof bad / sizeof bad[0])

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static char dir[256], f[300], sub[300], lnk[300];

static void pointers(void)
{
    int fd = open(f, O_RDWR);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0 && dfd >= 0, "open the file and the directory");
    for (unsigned i = 0; i < NBAD; i++) {
        void *p = bad[i];
        CHECK(syscall(SYS_open, p, O_RDONLY) < 0 && errno == EFAULT, "open path at %p: EFAULT", p);
        CHECK(syscall(SYS_openat, dfd, p, O_RDONLY) < 0 && errno == EFAULT, "openat path at %p: EFAULT", p);
        CHECK(syscall(SYS_mkdir, p, 0755) < 0 && errno == EFAULT, "mkdir path at %p: EFAULT", p);
        CHECK(syscall(SYS_unlink, p) < 0 && errno == EFAULT, "unlink path at %p: EFAULT", p);
        CHECK(syscall(SYS_rename, f, p) < 0 && errno == EFAULT, "rename to %p: EFAULT", p);
        CHECK(syscall(SYS_symlink, p, lnk) < 0 && errno == EFAULT, "symlink target at %p: EFAULT", p);
        CHECK(syscall(SYS_stat, f, p) < 0 && errno == EFAULT, "stat into %p: EFAULT", p);
        CHECK(syscall(SYS_lstat, f, p) < 0 && errno == EFAULT, "lstat into %p: EFAULT", p);
        CHECK(syscall(SYS_newfstatat, dfd, "x", p, 0) < 0 && (errno == EFAULT || errno == ENOENT),
              "newfstatat into %p: EFAULT or ENOENT", p);
        CHECK(syscall(SYS_fstat, fd, p) < 0 && errno == EFAULT, "fstat into %p: EFAULT", p);
        CHECK(syscall(SYS_statfs, dir, p) < 0 && errno == EFAULT, "statfs into %p: EFAULT", p);
        CHECK(syscall(SYS_fstatfs, fd, p) < 0 && errno == EFAULT, "fstatfs into %p: EFAULT", p);
        CHECK(syscall(SYS_read, fd, p, 100) < 0 && errno == EFAULT, "read into %p: EFAULT", p);
        CHECK(syscall(SYS_write, fd, p, 100) < 0 && errno == EFAULT, "write from %p: EFAULT", p);
        CHECK(syscall(SYS_pread64, fd, p, 100, 0) < 0 && errno == EFAULT, "pread into %p: EFAULT", p);
        CHECK(syscall(SYS_pwrite64, fd, p, 100, 0) < 0 && errno == EFAULT, "pwrite from %p: EFAULT", p);
        CHECK(syscall(SYS_getdents64, dfd, p, 4096) < 0 && errno == EFAULT, "getdents into %p: EFAULT", p);
        CHECK(syscall(SYS_readlink, lnk, p, 100) < 0 && errno == EFAULT, "readlink into %p: EFAULT", p);
        CHECK(syscall(SYS_getcwd, p, 100) < 0 && errno == EFAULT, "getcwd into %p: EFAULT", p);
        CHECK(syscall(SYS_utimensat, dfd, "file", p, 0) < 0 && errno == EFAULT, "utimensat times at %p: EFAULT", p);
    }
    close(fd);
    close(dfd);
}

static void refusals(void)
{
    static char longpath[PATH_MAX + 16], longname[300];
    memset(longpath, 'a', sizeof longpath);         /* no NUL within PATH_MAX */
    longpath[0] = '/';
    CHECK(open(longpath, O_RDONLY) < 0 && (errno == ENAMETOOLONG || errno == EFAULT), "a path with no NUL");
    memset(longname, 'n', 256);
    longname[256] = 0;
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, longname);
    CHECK(open(p, O_CREAT | O_WRONLY, 0644) < 0 && errno == ENAMETOOLONG, "a 256-byte name: ENAMETOOLONG");
    snprintf(p, sizeof p, "%s/loop", dir);
    CHECK(symlink("loop", p) == 0, "a symlink to itself");
    CHECK(open(p, O_RDONLY) < 0 && errno == ELOOP, "open through it: ELOOP");
    CHECK(open(p, O_RDONLY | O_NOFOLLOW) < 0 && errno == ELOOP, "O_NOFOLLOW on a symlink: ELOOP");
    CHECK(mkdir("/", 0755) < 0 && errno == EEXIST, "mkdir /: EEXIST");
    CHECK(rmdir("/") < 0 && errno == EBUSY, "rmdir /: EBUSY");
    CHECK(unlink("/") < 0 && errno == EISDIR, "unlink /: EISDIR");
    CHECK(rename(sub, f) < 0 && errno == ENOTDIR, "a directory over a file: ENOTDIR");
    snprintf(p, sizeof p, "%s/inner", sub);
    CHECK(rename(sub, p) < 0 && errno == EINVAL, "a directory into itself: EINVAL");
    CHECK(mkdir(p, 0755) == 0, "mkdir inside");
    CHECK(rmdir(sub) < 0 && errno == ENOTEMPTY, "rmdir of a non-empty directory: ENOTEMPTY");
    CHECK(unlink(sub) < 0 && errno == EISDIR, "unlink of a directory: EISDIR");
    CHECK(rmdir(p) == 0, "rmdir inside");
    CHECK(open(f, O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR, "O_DIRECTORY on a file: ENOTDIR");
    char buf[64];
    CHECK(readlink(f, buf, sizeof buf) < 0 && errno == EINVAL, "readlink of a file: EINVAL");
    CHECK(open(sub, O_WRONLY) < 0 && errno == EISDIR, "a directory for writing: EISDIR");
    int fd = open(f, O_RDWR);
    CHECK(pread(fd, buf, 8, -1) < 0 && errno == EINVAL, "pread at -1: EINVAL");
    CHECK(lseek(fd, -10, SEEK_SET) < 0 && errno == EINVAL, "lseek to -10: EINVAL");
    CHECK(ftruncate(fd, -1) < 0 && errno == EINVAL, "ftruncate to -1: EINVAL");
    CHECK(truncate(sub, 0) < 0 && errno == EISDIR, "truncate of a directory: EISDIR");
    close(fd);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(syscall(SYS_getdents64, dfd, buf, 8) < 0 && errno == EINVAL, "getdents with 8 bytes: EINVAL");
    CHECK(syscall(SYS_getdents64, f[0] ? 1000 : 0, buf, 64) < 0 && errno == EBADF, "getdents of a bad fd: EBADF");
    int ffd = open(f, O_RDONLY);
    CHECK(syscall(SYS_getdents64, ffd, buf, sizeof buf) < 0 && errno == ENOTDIR, "getdents of a file: ENOTDIR");
    close(ffd);
    close(dfd);
}

static void storm(void)
{
    static char buf[8192];
    const char *paths[] = {f, sub, lnk, dir, "/", "..", "../..", "/root/../../..", "", "./", "/bin/../root"};
    for (int i = 0; i < 2000; i++) {
        uint64_t r = next();
        void *ptr = (r & 7) < NBAD ? bad[r & 7] : buf;
        const char *path = (r >> 8) % 16 < 11 ? paths[(r >> 8) % 11] : (const char *)ptr;
        long n = (long)((r >> 16) % 9000) - 100;
        switch ((r >> 32) % 12) {
        case 0: { int fd = (int)syscall(SYS_open, path, (int)(r >> 40) & 0x3, 0644); if (fd >= 0) close(fd); break; }
        case 1: syscall(SYS_stat, path, ptr); break;
        case 2: syscall(SYS_readlink, path, ptr, n); break;
        case 3: syscall(SYS_statfs, path, ptr); break;
        case 4: { int fd = open(f, O_RDWR); syscall(SYS_pread64, fd, ptr, n, (long)(r >> 44) - 10); close(fd); break; }
        case 5: { int fd = open(f, O_RDWR); syscall(SYS_pwrite64, fd, ptr, n % 5000, (long)(r >> 50)); close(fd); break; }
        case 6: { int fd = open(dir, O_RDONLY); syscall(SYS_getdents64, fd, ptr, n); close(fd); break; }
        case 7: syscall(SYS_access, path, (int)(r >> 40) & 7); break;
        case 8: syscall(SYS_getcwd, ptr, n); break;
        case 9: syscall(SYS_truncate, f, (long)(r >> 48) - 100); break;
        case 10: syscall(SYS_utimensat, AT_FDCWD, path, ptr, 0); break;
        case 11: { int fd = open(f, O_RDWR); syscall(SYS_lseek, fd, (long)(r >> 20), (int)(r >> 60)); close(fd); break; }
        }
    }
    CHECK(1, "2000 random calls survived");
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "/root/hostile");
    snprintf(f, sizeof f, "%s/file", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(lnk, sizeof lnk, "%s/link", dir);
    mkdir(dir, 0755);
    int fd = open(f, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10 && close(fd) == 0, "the file");
    CHECK(mkdir(sub, 0755) == 0 && symlink("file", lnk) == 0, "a directory and a symlink");
    pointers();
    refusals();
    storm();
    /* Still working. */
    char got[32];
    fd = open(f, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "after the storm", 15) == 15 && fsync(fd) == 0, "write and fsync after");
    CHECK(pread(fd, got, sizeof got, 0) == 15 && !memcmp(got, "after the storm", 15), "read back after");
    close(fd);
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n++;
    if (d)
        closedir(d);
    CHECK(n >= 5, "the directory lists (%d entries)", n);
    return check_done("t_disk_hostile");
}
