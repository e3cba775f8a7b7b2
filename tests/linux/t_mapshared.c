/* t_mapshared: MAP_SHARED file mappings.  msync and munmap put the bytes
 * in the file; exit does too; a mapping never extends the file; a parent
 * and its forked child see each other's writes at once; a process that
 * maps the file itself sees another's msync'd writes; without msync, a
 * mapping is coherent with read and write, with another process's own
 * mapping, across a truncate, and read-only; and the errors.  Passes on
 * Linux too. */
#include "check.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG 4096
#define SIZE (3 * PG + 100)
static const char *path = "/tmp/t_mapshared.dat";

static char at(int fd, off_t off)
{
    char c = 0;
    return pread(fd, &c, 1, off) == 1 ? c : -1;
}

/* Coherent without msync, as Linux's page cache makes it (Veneer maps
 * the file's own pages): with read and write, with another process's own
 * mapping, across a truncate, and for a read-only mapping. */
static void coherence(int fd)
{
    char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED again");
    if (m == MAP_FAILED)
        return;
    m[30] = 'M';
    CHECK(at(fd, 30) == 'M', "a write through the mapping is in the file at once (no msync)");
    CHECK(pwrite(fd, "w", 1, 31) == 1 && m[31] == 'w', "a write(2) to the file shows in the mapping at once");
    int p2c[2], c2p[2];
    pipe(p2c), pipe(c2p);
    pid_t c = fork();
    if (c == 0) {
        char t;
        int f2 = open(path, O_RDWR);
        char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
        if (q == MAP_FAILED)
            _exit(2);
        q[33] = 'K';
        write(c2p[1], "1", 1);
        read(p2c[0], &t, 1);
        _exit(q[32] == 'Q' ? 0 : 1);
    }
    char t = 0;
    read(c2p[0], &t, 1);
    CHECK(m[33] == 'K', "another process's own mapping: its write shows in ours at once");
    m[32] = 'Q';
    write(p2c[1], "2", 1);
    int ws;
    CHECK(waitpid(c, &ws, 0) == c && WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "and ours in its (%#x)", ws);
    close(p2c[0]), close(p2c[1]), close(c2p[0]), close(c2p[1]);
    m[PG + 1] = 'T';
    CHECK(ftruncate(fd, PG) == 0 && ftruncate(fd, 2 * PG) == 0 && m[PG + 1] == 0 && at(fd, PG + 1) == 0,
          "truncated away under the mapping and extended again: zeros there, in both");
    m[PG + 2] = 'U';
    CHECK(at(fd, PG + 2) == 'U', "and the mapping still writes the file");
    int ro = open(path, O_RDONLY);
    char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
    CHECK(r != MAP_FAILED, "a read-only shared mapping of a read-only open");
    if (r != MAP_FAILED) {
        CHECK(pwrite(fd, "L", 1, 40) == 1 && r[40] == 'L', "sees a later write(2)");
        errno = 0;
        CHECK(mprotect(r, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
              "mprotect PROT_WRITE on it: EACCES");
        munmap(r, PG);
    }
    close(ro);
    munmap(m, 4 * PG);
}

int main(void)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char buf[SIZE];
    for (int i = 0; i < SIZE; i++)
        buf[i] = (char)('a' + i % 26);
    CHECK(fd >= 0 && write(fd, buf, SIZE) == SIZE, "a file of 3 pages and 100 bytes");
    char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED, PROT_READ|PROT_WRITE");
    if (m == MAP_FAILED)
        return check_done("t_mapshared");
    CHECK(!memcmp(m, buf, SIZE), "the mapping holds the file's bytes");
    m[0] = 'X';
    m[PG + 5] = 'Y';
    CHECK(msync(m, 4 * PG, MS_SYNC) == 0, "msync MS_SYNC");
    CHECK(at(fd, 0) == 'X' && at(fd, PG + 5) == 'Y', "the file has the writes after msync");
    m[SIZE + 10] = 'Z';                       /* past the end of the file, inside the last page */
    m[2 * PG] = 'W';
    CHECK(munmap(m, 4 * PG) == 0, "munmap");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == SIZE, "a write past the end does not extend the file (%ld)", (long)st.st_size);
    CHECK(at(fd, 2 * PG) == 'W', "munmap wrote the rest back");

    /* Offset mapping: the second page only. */
    m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
    CHECK(m != MAP_FAILED && m[5] == 'Y', "a mapping at offset 4096 sees its page");
    if (m != MAP_FAILED) {
        m[6] = 'O';
        munmap(m, PG);
    }
    CHECK(at(fd, PG + 6) == 'O', "and writes back at that offset");

    /* Parent and forked child share the pages. */
    m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int p2c[2], c2p[2];
    pipe(p2c), pipe(c2p);
    pid_t c = fork();
    if (c == 0) {
        char t;
        m[10] = 'C';                          /* seen by the parent at once */
        write(c2p[1], "1", 1);
        read(p2c[0], &t, 1);
        _exit(m[11] == 'P' ? 0 : 1);          /* the parent's write, seen here */
    }
    char t = 0;
    read(c2p[0], &t, 1);
    CHECK(m[10] == 'C', "the parent sees the child's write in the shared pages");
    m[11] = 'P';
    write(p2c[1], "2", 1);
    int ws;
    CHECK(waitpid(c, &ws, 0) == c && WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the child sees the parent's");
    munmap(m, 4 * PG);
    CHECK(at(fd, 10) == 'C' && at(fd, 11) == 'P', "both writes reached the file");

    /* A process that maps the file itself: exit writes back. */
    c = fork();
    if (c == 0) {
        int f2 = open(path, O_RDWR);
        char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
        if (q == MAP_FAILED)
            _exit(1);
        q[20] = 'E';
        _exit(0);                             /* no msync, no munmap */
    }
    CHECK(waitpid(c, &ws, 0) == c && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && at(fd, 20) == 'E',
          "another process's mapping: its exit wrote its bytes back");
    c = fork();
    if (c == 0) {
        int f2 = open(path, O_RDWR);
        char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
        if (q == MAP_FAILED)
            _exit(1);
        q[21] = 'S';
        msync(q, PG, MS_SYNC);
        write(c2p[1], "3", 1);
        read(p2c[0], &t, 1);
        _exit(0);
    }
    read(c2p[0], &t, 1);
    char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(at(fd, 21) == 'S' && r != MAP_FAILED && r[21] == 'S', "its msync'd write is in the file and a new mapping");
    write(p2c[1], "4", 1);
    waitpid(c, &ws, 0);

    /* Errors. */
    int ro = open(path, O_RDONLY);
    errno = 0;
    CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED && errno == EACCES,
          "MAP_SHARED|PROT_WRITE of a read-only descriptor: EACCES");
    char *pr = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    CHECK(pr != MAP_FAILED, "MAP_PRIVATE of it is fine");
    if (pr != MAP_FAILED) {
        pr[0] = '!';
        munmap(pr, PG);
    }
    CHECK(at(fd, 0) == 'X', "and a private mapping's writes never reach the file");
    m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    errno = 0;
    CHECK(msync(m + 1, PG, MS_SYNC) == -1 && errno == EINVAL, "msync unaligned: EINVAL");
    errno = 0;
    CHECK(msync(m, PG, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL, "msync MS_SYNC|MS_ASYNC: EINVAL");
    errno = 0;
    CHECK(msync(m, PG, 0x100) == -1 && errno == EINVAL, "msync unknown flags: EINVAL");
    munmap(m, PG);
    errno = 0;
    CHECK(msync(m, PG, MS_SYNC) == -1 && errno == ENOMEM, "msync of an unmapped range: ENOMEM");
    coherence(fd);
    close(ro);
    close(fd);
    unlink(path);
    return check_done("t_mapshared");
}
