/* t_fd: file descriptor operations.
 * Checks: dup/dup2/dup3 share the file offset (lseek or read on one moves
 * the other); dup returns the lowest free fd; dup2 onto an open fd closes
 * it first; dup2(fd, fd) is a no-op; dup3 with O_CLOEXEC; fcntl F_GETFD /
 * F_SETFD FD_CLOEXEC, F_DUPFD (lowest >= arg) and F_DUPFD_CLOEXEC; fork
 * shares the offset with the child; close-on-exec is honoured by execve
 * (the helper reports whether an fd number is open); EBADF for close(-1),
 * read/write on a closed fd and dup2 of a closed fd. */
#include "check.h"
#include <fcntl.h>
#include <sys/wait.h>

static const char *path = "/tmp/t_fd.dat";

/* Run the helper in "fd" mode on fd n; returns its exit code or -1. */
static int helper_fd_status(int n)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    const char *helper = exec_helper_path();
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = { (char *)helper, "fd", num, NULL };
        char *envp[] = { NULL };
        execve(helper, argv, envp);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int main(void)
{
    char b[16];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!CHECK(fd >= 0, "create %s", path))
        return check_done("t_fd");
    CHECK(write(fd, "0123456789", 10) == 10, "write 10 bytes");

    /* dup shares the offset. */
    int d = dup(fd);
    CHECK(d >= 0 && d != fd, "dup gives a new fd");
    CHECK(lseek(fd, 3, SEEK_SET) == 3, "lseek original to 3");
    CHECK(lseek(d, 0, SEEK_CUR) == 3, "dup'd fd sees offset 3");
    CHECK(read(d, b, 2) == 2 && memcmp(b, "34", 2) == 0, "read 2 bytes via dup'd fd");
    CHECK(lseek(fd, 0, SEEK_CUR) == 5, "original now at offset 5");
    CHECK(fcntl(d, F_GETFD) == 0, "dup'd fd has no FD_CLOEXEC");

    /* dup gives the lowest free fd. */
    close(d);
    int d2 = dup(fd);
    CHECK(d2 == d, "dup reuses the lowest free fd (%d, %d)", d2, d);
    close(d2);

    /* dup2 onto a chosen number, sharing the offset. */
    CHECK(dup2(fd, 40) == 40, "dup2(fd, 40) returns 40");
    CHECK(lseek(40, 1, SEEK_SET) == 1, "lseek fd 40 to 1");
    CHECK(lseek(fd, 0, SEEK_CUR) == 1, "original sees offset 1");
    CHECK(dup2(fd, fd) == fd, "dup2(fd, fd) returns fd");
    CHECK(fcntl(fd, F_GETFD) >= 0, "fd still open after dup2(fd, fd)");

    /* dup2 onto an open fd closes it first: 41 is a pipe, then becomes the file. */
    int p[2];
    if (CHECK(pipe(p) == 0, "pipe")) {
        CHECK(dup2(p[1], 41) == 41, "dup2 pipe write end to 41");
        close(p[1]);
        CHECK(dup2(fd, 41) == 41, "dup2 file onto open fd 41");
        CHECK(lseek(41, 0, SEEK_CUR) == 1, "fd 41 is now the file (lseek works, offset 1)");
        char c;
        ssize_t n = read(p[0], &c, 1);
        CHECK(n == 0, "old pipe write end was closed by dup2 (reader sees EOF, got %zd)", n);
        close(p[0]);
        close(41);
    }
    close(40);

    /* dup3 with O_CLOEXEC, and dup3 onto itself is EINVAL. */
    CHECK(dup3(fd, 42, O_CLOEXEC) == 42, "dup3(fd, 42, O_CLOEXEC)");
    CHECK(fcntl(42, F_GETFD) == FD_CLOEXEC, "dup3 O_CLOEXEC sets FD_CLOEXEC");
    CHECK(lseek(42, 7, SEEK_SET) == 7 && lseek(fd, 0, SEEK_CUR) == 7, "dup3 fd shares the offset");
    errno = 0;
    CHECK(dup3(fd, fd, 0) == -1 && errno == EINVAL, "dup3(fd, fd) gives EINVAL");
    close(42);

    /* fcntl FD_CLOEXEC. */
    CHECK(fcntl(fd, F_GETFD) == 0, "F_GETFD is 0 on a fresh fd");
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "F_SETFD FD_CLOEXEC");
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "F_GETFD reads FD_CLOEXEC back");
    CHECK(fcntl(fd, F_SETFD, 0) == 0 && fcntl(fd, F_GETFD) == 0, "F_SETFD 0 clears it");

    /* F_DUPFD: lowest free >= arg. */
    int f1 = fcntl(fd, F_DUPFD, 50);
    CHECK(f1 == 50, "F_DUPFD 50 gives 50 (got %d)", f1);
    int f2 = fcntl(fd, F_DUPFD, 50);
    CHECK(f2 == 51, "F_DUPFD 50 again gives 51 (got %d)", f2);
    CHECK(fcntl(f1, F_GETFD) == 0, "F_DUPFD result has no FD_CLOEXEC");
    int f3 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
    CHECK(f3 == 52 && fcntl(f3, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC gives 52 with FD_CLOEXEC");
    CHECK(lseek(f2, 2, SEEK_SET) == 2 && lseek(fd, 0, SEEK_CUR) == 2, "F_DUPFD fd shares the offset");
    close(f1);
    close(f2);
    close(f3);

    /* A forked child shares the offset. */
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
    pid_t pid = fork();
    if (pid == 0)
        _exit(lseek(fd, 6, SEEK_SET) == 6 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child lseeks the inherited fd");
    CHECK(lseek(fd, 0, SEEK_CUR) == 6, "parent sees the child's lseek (offset 6)");

    /* Close-on-exec across execve. */
    CHECK(dup2(fd, 60) == 60 && dup2(fd, 61) == 61, "dup2 to 60 and 61");
    CHECK(fcntl(61, F_SETFD, FD_CLOEXEC) == 0, "set FD_CLOEXEC on 61");
    int s60 = helper_fd_status(60), s61 = helper_fd_status(61), s62 = helper_fd_status(62);
    CHECK(s60 == 10, "fd 60 (no cloexec) is open in the exec'd program (helper %d)", s60);
    CHECK(s61 == 20, "fd 61 (FD_CLOEXEC) is closed in the exec'd program (helper %d)", s61);
    CHECK(s62 == 20, "fd 62 (never opened) is closed in the exec'd program (helper %d)", s62);
    CHECK(fcntl(61, F_GETFD) == FD_CLOEXEC, "fd 61 still open in the parent");
    close(60);
    close(61);

    /* EBADF. */
    errno = 0;
    CHECK(close(-1) == -1 && errno == EBADF, "close(-1) gives EBADF");
    int g = dup(fd);
    close(g);
    errno = 0;
    CHECK(read(g, b, 1) == -1 && errno == EBADF, "read on a closed fd gives EBADF");
    errno = 0;
    CHECK(write(g, b, 1) == -1 && errno == EBADF, "write on a closed fd gives EBADF");
    errno = 0;
    CHECK(close(g) == -1 && errno == EBADF, "second close gives EBADF");
    errno = 0;
    CHECK(dup2(g, 70) == -1 && errno == EBADF, "dup2 of a closed fd gives EBADF");
    errno = 0;
    CHECK(fcntl(g, F_GETFD) == -1 && errno == EBADF, "fcntl F_GETFD on a closed fd gives EBADF");

    /* Read-only fd refuses writes. */
    int ro = open(path, O_RDONLY);
    errno = 0;
    CHECK(ro >= 0 && write(ro, "x", 1) == -1 && errno == EBADF, "write on an O_RDONLY fd gives EBADF");
    close(ro);

    close(fd);
    unlink(path);
    return check_done("t_fd");
}
