/* t_file: files and directories (under /tmp/t_file.d, removed at the end).
 * Checks: create/write/read back; O_APPEND; O_TRUNC; O_EXCL gives EEXIST;
 * lseek SEEK_END and past the end (hole reads as zeros); ftruncate shrink
 * and grow; stat/fstat/lstat sizes and S_ISREG/S_ISDIR; mkdir (EEXIST),
 * rmdir of a non-empty dir gives ENOTEMPTY; unlink then ENOENT; rename of a
 * file and over an existing file; chdir/getcwd with relative paths and
 * "..", openat-relative open; readdir lists the created files plus "." and
 * ".."; open of a missing file gives ENOENT; /bin (or $BIN_DIR) contains
 * busybox. */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#define D "/tmp/t_file.d"

static ssize_t read_file(const char *p, char *buf, size_t n)
{
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, n);
    close(fd);
    return r;
}

static int write_file(const char *p, const char *s)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, s, strlen(s));
    close(fd);
    return n == (ssize_t)strlen(s) ? 0 : -1;
}

static off_t size_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static void cleanup(void)
{
    const char *files[] = { D "/a", D "/b", D "/c", D "/big", D "/sub/x", D "/sub/deeper/y", D "/ren1", D "/ren2", D "/old", D "/excl", NULL };
    for (int i = 0; files[i]; i++)
        unlink(files[i]);
    rmdir(D "/sub/deeper");
    rmdir(D "/sub");
    rmdir(D "/empty");
    rmdir(D);
}

int main(void)
{
    char buf[256], cwd[PATH_MAX];
    struct stat st;
    int fd;

    cleanup();
    CHECK(mkdir(D, 0755) == 0, "mkdir " D);
    errno = 0;
    CHECK(mkdir(D, 0755) == -1 && errno == EEXIST, "mkdir of an existing dir gives EEXIST");

    /* Create, write, read back. */
    fd = open(D "/a", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "create " D "/a");
    CHECK(write(fd, "hello world", 11) == 11, "write 11 bytes");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek to 0");
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, sizeof buf) == 11 && strcmp(buf, "hello world") == 0, "read back \"hello world\"");
    CHECK(read(fd, buf, sizeof buf) == 0, "read at end of file returns 0");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode), "fstat: regular, size 11");

    /* SEEK_END, and a write past the end leaves a zero-filled hole. */
    CHECK(lseek(fd, 0, SEEK_END) == 11, "lseek SEEK_END gives 11");
    CHECK(lseek(fd, -5, SEEK_END) == 6, "lseek -5 from SEEK_END gives 6");
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0, "read \"world\" from there");
    CHECK(lseek(fd, 20, SEEK_END) == 31, "lseek 20 past the end gives 31");
    CHECK(write(fd, "Z", 1) == 1, "write after the hole");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 32, "size is 32 after the hole write");
    CHECK(pread(fd, buf, 21, 11) == 21 && buf[0] == 0 && buf[19] == 0 && buf[20] == 'Z', "hole reads as zeros (pread)");
    close(fd);

    /* O_APPEND. */
    CHECK(write_file(D "/b", "abc") == 0, "create " D "/b with \"abc\"");
    fd = open(D "/b", O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open O_APPEND");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek O_APPEND fd to 0");
    CHECK(write(fd, "def", 3) == 3, "append \"def\"");
    close(fd);
    memset(buf, 0, sizeof buf);
    CHECK(read_file(D "/b", buf, sizeof buf) == 6 && strcmp(buf, "abcdef") == 0, "O_APPEND writes at the end despite lseek");

    /* O_TRUNC. */
    fd = open(D "/b", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && size_of(D "/b") == 0, "O_TRUNC empties the file");
    CHECK(write(fd, "xy", 2) == 2, "write 2 bytes");
    close(fd);
    CHECK(size_of(D "/b") == 2, "size is 2");

    /* O_EXCL. */
    fd = open(D "/excl", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0, "O_CREAT|O_EXCL creates a new file");
    close(fd);
    errno = 0;
    fd = open(D "/excl", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd == -1 && errno == EEXIST, "O_CREAT|O_EXCL on an existing file gives EEXIST");

    /* ftruncate. */
    fd = open(D "/a", O_RDWR);
    CHECK(fd >= 0 && ftruncate(fd, 5) == 0, "ftruncate to 5");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5, "fstat size 5");
    CHECK(ftruncate(fd, 100) == 0 && size_of(D "/a") == 100, "ftruncate grows to 100");
    memset(buf, 'q', sizeof buf);
    CHECK(pread(fd, buf, 100, 0) == 100 && memcmp(buf, "hello", 5) == 0 && buf[5] == 0 && buf[99] == 0,
          "grown part reads as zeros");
    close(fd);
    CHECK(truncate(D "/a", 3) == 0 && size_of(D "/a") == 3, "truncate by path to 3");

    /* A bigger file: 200 KiB written in chunks, read back. */
    fd = open(D "/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int okw = fd >= 0;
    for (int i = 0; okw && i < 200; i++) {
        memset(buf, 'a' + i % 26, 256);
        for (int j = 0; okw && j < 4; j++)
            okw = write(fd, buf, 256) == 256;
    }
    CHECK(okw && size_of(D "/big") == 200 * 1024, "200 KiB file written");
    int okr = lseek(fd, 0, SEEK_SET) == 0;
    for (int i = 0; okr && i < 200; i++) {
        okr = read(fd, buf, 256) == 256 && buf[0] == 'a' + i % 26 && buf[255] == 'a' + i % 26;
        okr = okr && lseek(fd, 768, SEEK_CUR) == (off_t)(i + 1) * 1024;
    }
    CHECK(okr, "200 KiB file reads back");
    close(fd);

    /* stat / lstat / S_ISDIR. */
    CHECK(stat(D, &st) == 0 && S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode), "stat dir: S_ISDIR");
    CHECK(lstat(D "/b", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 2, "lstat file: S_ISREG, size 2");
    CHECK(stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode), "stat /tmp: S_ISDIR");

    /* mkdir, rmdir, ENOTEMPTY. */
    CHECK(mkdir(D "/sub", 0755) == 0 && mkdir(D "/sub/deeper", 0755) == 0, "mkdir sub and sub/deeper");
    CHECK(write_file(D "/sub/x", "x") == 0, "create sub/x");
    errno = 0;
    CHECK(rmdir(D "/sub") == -1 && errno == ENOTEMPTY, "rmdir of a non-empty dir gives ENOTEMPTY");
    CHECK(mkdir(D "/empty", 0755) == 0 && rmdir(D "/empty") == 0, "mkdir then rmdir an empty dir");
    errno = 0;
    CHECK(stat(D "/empty", &st) == -1 && errno == ENOENT, "removed dir is gone (ENOENT)");
    errno = 0;
    CHECK(rmdir(D "/b") == -1 && errno == ENOTDIR, "rmdir of a file gives ENOTDIR");
    errno = 0;
    CHECK(open(D "/b/x", O_RDONLY) == -1 && errno == ENOTDIR, "path through a file gives ENOTDIR");

    /* unlink. */
    CHECK(write_file(D "/c", "c") == 0 && unlink(D "/c") == 0, "create and unlink c");
    errno = 0;
    CHECK(open(D "/c", O_RDONLY) == -1 && errno == ENOENT, "open after unlink gives ENOENT");
    errno = 0;
    CHECK(unlink(D "/c") == -1 && errno == ENOENT, "second unlink gives ENOENT");
    errno = 0;
    CHECK(open(D "/missing", O_RDONLY) == -1 && errno == ENOENT, "open of a missing file gives ENOENT");
    errno = 0;
    CHECK(open("/no/such/dir/file", O_RDONLY) == -1 && errno == ENOENT, "open under a missing dir gives ENOENT");

    /* Unlinked but still open: data stays readable through the fd. */
    CHECK(write_file(D "/c", "still here") == 0, "create c again");
    fd = open(D "/c", O_RDONLY);
    CHECK(fd >= 0 && unlink(D "/c") == 0, "unlink c while open");
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, sizeof buf) == 10 && strcmp(buf, "still here") == 0, "open fd still reads unlinked file");
    close(fd);

    /* rename. */
    CHECK(write_file(D "/ren1", "one") == 0 && rename(D "/ren1", D "/ren2") == 0, "rename ren1 -> ren2");
    errno = 0;
    CHECK(stat(D "/ren1", &st) == -1 && errno == ENOENT, "old name gone after rename");
    memset(buf, 0, sizeof buf);
    CHECK(read_file(D "/ren2", buf, sizeof buf) == 3 && strcmp(buf, "one") == 0, "new name has the data");
    CHECK(write_file(D "/old", "replacement") == 0, "create old");
    CHECK(rename(D "/old", D "/ren2") == 0, "rename over an existing file");
    memset(buf, 0, sizeof buf);
    CHECK(read_file(D "/ren2", buf, sizeof buf) == 11 && strcmp(buf, "replacement") == 0, "target replaced");
    errno = 0;
    CHECK(stat(D "/old", &st) == -1 && errno == ENOENT, "source name gone");

    /* chdir / getcwd. */
    CHECK(chdir(D) == 0, "chdir " D);
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, D) == 0, "getcwd gives " D);
    CHECK(chdir("sub/deeper") == 0, "chdir relative sub/deeper");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, D "/sub/deeper") == 0, "getcwd gives " D "/sub/deeper");
    CHECK(write_file("y", "yy") == 0 && size_of(D "/sub/deeper/y") == 2, "relative create lands in the cwd");
    CHECK(chdir("..") == 0, "chdir ..");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, D "/sub") == 0, "getcwd gives " D "/sub");
    CHECK(size_of("x") == 1 && size_of("./deeper/../x") == 1, "relative paths with . and .. resolve");
    CHECK(chdir("../..") == 0, "chdir ../..");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0, "getcwd gives /tmp");
    CHECK(chdir("t_file.d/sub/../sub/deeper/..") == 0, "chdir through ..");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, D "/sub") == 0, "getcwd is canonical (" D "/sub)");
    errno = 0;
    CHECK(chdir(D "/b") == -1 && errno == ENOTDIR, "chdir to a file gives ENOTDIR");
    errno = 0;
    CHECK(chdir(D "/nope") == -1 && errno == ENOENT, "chdir to a missing dir gives ENOENT");
    int dfd = open(D, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open the dir O_DIRECTORY");
    fd = openat(dfd, "b", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 2) == 2 && memcmp(buf, "xy", 2) == 0, "openat relative to a dir fd");
    close(fd);
    close(dfd);
    CHECK(chdir("/") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0, "chdir / and getcwd gives /");

    /* readdir. */
    DIR *dir = opendir(D);
    int dot = 0, dotdot = 0, fa = 0, fb = 0, fsub = 0, fren2 = 0, fexcl = 0, fbig = 0, other = 0, total = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL && total < 1000) {
        total++;
        if (!strcmp(e->d_name, ".")) dot++;
        else if (!strcmp(e->d_name, "..")) dotdot++;
        else if (!strcmp(e->d_name, "a")) fa++;
        else if (!strcmp(e->d_name, "b")) fb++;
        else if (!strcmp(e->d_name, "sub")) fsub += e->d_type == DT_DIR || e->d_type == DT_UNKNOWN;
        else if (!strcmp(e->d_name, "ren2")) fren2++;
        else if (!strcmp(e->d_name, "excl")) fexcl++;
        else if (!strcmp(e->d_name, "big")) fbig++;
        else other++;
    }
    CHECK(dir != NULL, "opendir " D);
    if (dir)
        closedir(dir);
    CHECK(dot == 1 && dotdot == 1, "readdir lists . and ..");
    CHECK(fa == 1 && fb == 1 && fren2 == 1 && fexcl == 1 && fbig == 1, "readdir lists the files a, b, big, ren2, excl");
    CHECK(fsub == 1, "readdir lists sub as a directory");
    CHECK(other == 0 && total == 8, "readdir lists nothing else (%d entries)", total);

    dir = opendir(bin_dir());
    int bb = 0;
    total = 0;
    while (dir && (e = readdir(dir)) != NULL && total++ < 100000)
        if (!strcmp(e->d_name, "busybox"))
            bb++;
    if (dir)
        closedir(dir);
    CHECK(bb == 1, "%s contains busybox (readdir)", bin_dir());
    errno = 0;
    CHECK(opendir(D "/missing") == NULL && errno == ENOENT, "opendir of a missing dir gives ENOENT");

    cleanup();
    errno = 0;
    CHECK(stat(D, &st) == -1 && errno == ENOENT, "cleanup removed " D);
    return check_done("t_file");
}
