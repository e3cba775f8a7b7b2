/* t_errors: system calls fail with the right errno and the program survives.
 * Checks: EBADF (read/write/fstat on fd 99); ENOENT (open/stat missing);
 * EFAULT for read into (void *)1 from a pipe that has data, write from a bad
 * pointer, stat/open with a bad path pointer, pipe() with a bad array,
 * clock_gettime with a bad pointer (raw syscalls, so libc cannot catch it
 * first); the data is still readable afterwards; ENOSYS for syscall 500,
 * 100000, the unassigned 337..423 and x32 numbers and -1;
 * EINVAL for lseek with a bad whence and a negative offset; ESPIPE for
 * lseek on a pipe; EISDIR for opening a directory for writing; ENOTDIR;
 * EEXIST; ENAMETOOLONG. */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define BAD ((void *)1)

int main(void)
{
    char buf[64];
    struct stat st;
    int p[2];
    long r;

    /* EBADF. */
    errno = 0;
    CHECK(read(99, buf, 1) == -1 && errno == EBADF, "read on fd 99 gives EBADF");
    errno = 0;
    CHECK(write(99, buf, 1) == -1 && errno == EBADF, "write on fd 99 gives EBADF");
    errno = 0;
    CHECK(fstat(99, &st) == -1 && errno == EBADF, "fstat on fd 99 gives EBADF");
    errno = 0;
    CHECK(lseek(99, 0, SEEK_SET) == -1 && errno == EBADF, "lseek on fd 99 gives EBADF");

    /* ENOENT. */
    errno = 0;
    CHECK(open("/tmp/t_errors.missing", O_RDONLY) == -1 && errno == ENOENT, "open of a missing file gives ENOENT");
    errno = 0;
    CHECK(stat("/tmp/t_errors.missing", &st) == -1 && errno == ENOENT, "stat of a missing file gives ENOENT");
    errno = 0;
    CHECK(open("", O_RDONLY) == -1 && errno == ENOENT, "open(\"\") gives ENOENT");

    /* EFAULT. Raw syscalls so the kernel (or libOS) sees the bad pointers. */
    if (CHECK(pipe(p) == 0, "pipe")) {
        CHECK(write(p[1], "data", 4) == 4, "write 4 bytes into the pipe");
        r = syscall(SYS_read, p[0], BAD, 4);
        CHECK(r == -1 && errno == EFAULT, "read into (void *)1 gives EFAULT");
        r = syscall(SYS_write, p[1], BAD, 4);
        CHECK(r == -1 && errno == EFAULT, "write from (void *)1 gives EFAULT");
        memset(buf, 0, sizeof buf);
        CHECK(read(p[0], buf, sizeof buf) == 4 && memcmp(buf, "data", 4) == 0, "pipe data still readable afterwards");
        close(p[0]);
        close(p[1]);
    }
    r = syscall(SYS_stat, BAD, &st);
    CHECK(r == -1 && errno == EFAULT, "stat with a bad path pointer gives EFAULT");
    errno = 0;
    CHECK(stat(BAD, &st) == -1 && errno == EFAULT, "libc stat() with a bad path pointer gives EFAULT");
    r = syscall(SYS_fstat, 0, BAD);
    CHECK(r == -1 && errno == EFAULT, "fstat into a bad buffer gives EFAULT");
    r = syscall(SYS_open, BAD, O_RDONLY, 0);
    CHECK(r == -1 && errno == EFAULT, "open with a bad path pointer gives EFAULT");
    r = syscall(SYS_pipe, BAD);
    CHECK(r == -1 && errno == EFAULT, "pipe with a bad array gives EFAULT");
    r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD);
    CHECK(r == -1 && errno == EFAULT, "clock_gettime into a bad pointer gives EFAULT");
    int fd = open("/tmp/t_errors.f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (CHECK(fd >= 0, "create /tmp/t_errors.f")) {
        CHECK(write(fd, "0123456789", 10) == 10, "write 10 bytes");
        r = syscall(SYS_pread64, fd, BAD, 5, 0);
        CHECK(r == -1 && errno == EFAULT, "pread from a file into a bad pointer gives EFAULT");
        r = syscall(SYS_write, fd, BAD, 5);
        CHECK(r == -1 && errno == EFAULT, "write to a file from a bad pointer gives EFAULT");
        CHECK(lseek(fd, 0, SEEK_END) == 10, "file size unchanged (10)");

        /* EINVAL for lseek. */
        errno = 0;
        CHECK(lseek(fd, 0, 42) == -1 && errno == EINVAL, "lseek with whence 42 gives EINVAL");
        errno = 0;
        CHECK(lseek(fd, -100, SEEK_SET) == -1 && errno == EINVAL, "lseek to a negative offset gives EINVAL");
        CHECK(lseek(fd, 0, SEEK_CUR) == 10, "offset unchanged after the failed lseeks");
        close(fd);
        unlink("/tmp/t_errors.f");
    }

    /* ENOSYS for a syscall number Linux does not have. */
    errno = 0;
    r = syscall(500, 1, 2, 3);
    CHECK(r == -1 && errno == ENOSYS, "syscall 500 gives ENOSYS");
    errno = 0;
    r = syscall(100000);
    CHECK(r == -1 && errno == ENOSYS, "syscall 100000 gives ENOSYS");
    /* Holes in the number space (nothing is assigned from 337 to 423; 335
     * and 336 are uretprobe and uprobe on recent Linux), the x32 range
     * without its bit, and a number that is negative as an int. */
    static const long holes[] = {340, 400, 423, 512, 547, -1};
    for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
        errno = 0;
        r = syscall(holes[i], 1, 2, 3);
        CHECK(r == -1 && errno == ENOSYS, "an unassigned syscall number gives ENOSYS");
    }

    /* ESPIPE. */
    if (CHECK(pipe(p) == 0, "pipe")) {
        errno = 0;
        CHECK(lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek on a pipe gives ESPIPE");
        close(p[0]);
        close(p[1]);
    }

    /* EISDIR, ENOTDIR, EEXIST, ENAMETOOLONG. */
    errno = 0;
    CHECK(open("/tmp", O_WRONLY) == -1 && errno == EISDIR, "open a directory O_WRONLY gives EISDIR");
    fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    errno = 0;
    CHECK(fd >= 0 && read(fd, buf, sizeof buf) == -1 && errno == EISDIR, "read on a directory fd gives EISDIR");
    if (fd >= 0)
        close(fd);
    fd = open("/tmp/t_errors.g", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close(fd);
    errno = 0;
    CHECK(open("/tmp/t_errors.g", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR, "O_DIRECTORY on a file gives ENOTDIR");
    errno = 0;
    CHECK(mkdir("/tmp/t_errors.g", 0755) == -1 && errno == EEXIST, "mkdir over a file gives EEXIST");
    unlink("/tmp/t_errors.g");
    static char longname[5000];
    memset(longname, 'n', sizeof longname - 1);
    longname[0] = '/';
    errno = 0;
    CHECK(open(longname, O_RDONLY) == -1 && errno == ENAMETOOLONG, "open of a 4999-byte path gives ENAMETOOLONG");

    /* Still alive and working. */
    CHECK(getpid() > 0 && write(1, "", 0) == 0, "program still runs after all the errors");
    return check_done("t_errors");
}
