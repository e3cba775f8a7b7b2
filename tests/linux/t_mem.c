/* t_mem: memory management.
 * Checks: brk growth across pages (raw SYS_brk: musl's sbrk only reads it),
 * writes read back, and shrink; anonymous private mmap is zeroed and
 * read/write; munmap (also of part of a mapping) then touching it
 * in a child kills the child with SIGSEGV; mprotect PROT_READ then a write
 * in a child gives SIGSEGV while reads still work; mprotect back to
 * read/write; MAP_SHARED|MAP_ANONYMOUS written by a child is seen by the
 * parent; MAP_PRIVATE anonymous written by a child is not; mmap of a file
 * (the exec helper) read-only shows its ELF magic and matches read();
 * MAP_FIXED; madvise(MADV_DONTNEED) returns 0 (and zeroes private anon);
 * EINVAL/EBADF errors; a 64 MiB mapping touched sparsely. */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PG 4096

/* Fork a child that runs fn(arg); return its wait status. */
static int in_child(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static void do_write(void *p) { *(volatile char *)p = 1; }
static void do_read(void *p) { _exit(*(volatile char *)p == 'R' ? 3 : 4); }

/* musl's sbrk() refuses nonzero increments, so move the break with the raw
 * brk system call (which returns the new break, or the old one on failure). */
static char *my_sbrk(long inc)
{
    char *cur = (char *)syscall(SYS_brk, 0);
    if (inc == 0)
        return cur;
    char *want = cur + inc;
    if ((char *)syscall(SYS_brk, want) != want)
        return (char *)-1;
    return cur;
}

static int died_of_segv(int status)
{
    return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

int main(void)
{
    int status;

    /* 1. brk. */
    char *b0 = my_sbrk(0);
    CHECK(b0 != (char *)-1, "brk(0) reads the break");
    char *b1 = my_sbrk(5 * PG + 123);
    CHECK(b1 == b0, "growing brk by 5 pages + 123 bytes works");
    char *b2 = my_sbrk(0);
    CHECK(b2 == b0 + 5 * PG + 123, "break moved by the increment");
    int okb = 1;
    for (int i = 0; i < 5 * PG + 123; i++)
        b1[i] = (char)(i * 3);
    for (int i = 0; i < 5 * PG + 123; i++)
        if (b1[i] != (char)(i * 3))
            okb = 0;
    CHECK(okb, "writes across the new brk pages read back");
    char *b3 = my_sbrk(64 * PG);
    okb = b3 == b2;
    for (int i = 0; okb && i < 64; i++)
        b3[i * PG + 7] = (char)i;
    for (int i = 0; okb && i < 64; i++)
        okb = b3[i * PG + 7] == (char)i;
    CHECK(okb, "second brk growth of 64 pages, one write per page reads back");
    CHECK(my_sbrk(-(64 * PG)) == b3 + 64 * PG && my_sbrk(0) == b3, "brk shrinks the break");
    CHECK(b1[5 * PG + 122] == (char)((5 * PG + 122) * 3), "memory below the break kept its data");
    CHECK(my_sbrk(-(5 * PG + 123)) == b2 && my_sbrk(0) == b0, "break back where it started");

    /* 2. Anonymous private mmap. */
    size_t len = 16 * PG;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(m != MAP_FAILED, "mmap 16 pages anonymous private"))
        return check_done("t_mem");
    CHECK(((uintptr_t)m & (PG - 1)) == 0, "mmap result is page aligned");
    int zero = 1;
    for (size_t i = 0; i < len; i++)
        if (m[i])
            zero = 0;
    CHECK(zero, "new anonymous memory is zeroed");
    for (size_t i = 0; i < len; i++)
        m[i] = (unsigned char)(i ^ (i >> 8));
    int okm = 1;
    for (size_t i = 0; i < len; i++)
        if (m[i] != (unsigned char)(i ^ (i >> 8)))
            okm = 0;
    CHECK(okm, "anonymous memory reads back what was written");

    /* 3. Partial munmap, then the unmapped part faults in a child. */
    CHECK(munmap(m + 4 * PG, 4 * PG) == 0, "munmap pages 4..7");
    CHECK(m[3 * PG] == (unsigned char)(3 * PG ^ (3 * PG >> 8)) && m[8 * PG] == (unsigned char)(8 * PG ^ (8 * PG >> 8)),
          "pages around the hole still readable");
    status = in_child(do_write, m + 5 * PG);
    CHECK(died_of_segv(status), "write to an munmapped page kills the child with SIGSEGV (raw %#x)", status);
    CHECK(munmap(m, len) == 0, "munmap the whole range (including the hole)");
    status = in_child(do_write, m);
    CHECK(died_of_segv(status), "write after full munmap: SIGSEGV (raw %#x)", status);

    /* 4. mprotect. */
    char *r = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (CHECK(r != MAP_FAILED, "mmap 2 pages")) {
        r[0] = 'R';
        r[PG] = 'W';
        CHECK(mprotect(r, PG, PROT_READ) == 0, "mprotect first page PROT_READ");
        status = in_child(do_write, r);
        CHECK(died_of_segv(status), "write to a PROT_READ page: child dies of SIGSEGV (raw %#x)", status);
        status = in_child(do_read, r);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3, "read of the PROT_READ page works in a child");
        CHECK(r[0] == 'R', "read of the PROT_READ page works in the parent");
        status = in_child(do_write, r + PG);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "second page stays writable");
        CHECK(mprotect(r, PG, PROT_NONE) == 0, "mprotect PROT_NONE");
        status = in_child(do_read, r);
        CHECK(died_of_segv(status), "read of a PROT_NONE page: SIGSEGV (raw %#x)", status);
        CHECK(mprotect(r, PG, PROT_READ | PROT_WRITE) == 0, "mprotect back to read/write");
        r[1] = 'x';
        CHECK(r[0] == 'R' && r[1] == 'x', "writable again, data kept");
        munmap(r, 2 * PG);
    }

    /* 5. MAP_SHARED anonymous is shared with a child; MAP_PRIVATE is not. */
    volatile int *sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    volatile int *pr = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (CHECK(sh != MAP_FAILED && pr != MAP_FAILED, "mmap MAP_SHARED and MAP_PRIVATE anonymous")) {
        sh[0] = 1;
        sh[1000] = 2;
        pr[0] = 1;
        pid_t pid = fork();
        if (pid == 0) {
            int ok = sh[0] == 1 && sh[1000] == 2 && pr[0] == 1;
            sh[0] = 0x1234;
            sh[1000] = 0x5678;
            pr[0] = 0x9999;
            _exit(ok ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child sees the parent's data in both");
        CHECK(sh[0] == 0x1234 && sh[1000] == 0x5678, "parent sees the child's writes to MAP_SHARED memory");
        CHECK(pr[0] == 1, "parent does not see the child's writes to MAP_PRIVATE memory");
        munmap((void *)sh, PG);
        munmap((void *)pr, PG);
    }

    /* 6. mmap of a file, read-only. */
    const char *helper = exec_helper_path();
    int fd = open(helper, O_RDONLY);
    if (CHECK(fd >= 0, "open %s", helper)) {
        unsigned char *f = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
        if (CHECK(f != MAP_FAILED, "mmap the file read-only")) {
            CHECK(f[0] == 0x7f && f[1] == 'E' && f[2] == 'L' && f[3] == 'F', "mapped bytes start with the ELF magic");
            unsigned char buf[2 * PG];
            ssize_t n = pread(fd, buf, sizeof buf, 0);
            CHECK(n == (ssize_t)sizeof buf && memcmp(buf, f, sizeof buf) == 0, "mapped bytes match read() of the file");
            status = in_child(do_write, f);
            CHECK(died_of_segv(status), "write to a read-only file mapping: SIGSEGV (raw %#x)", status);
            munmap(f, 2 * PG);
        }
        unsigned char *f2 = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
        unsigned char b2[16];
        CHECK(f2 != MAP_FAILED && pread(fd, b2, 16, PG) == 16 && memcmp(b2, f2, 16) == 0, "mmap at file offset 4096 matches");
        if (f2 != MAP_FAILED)
            munmap(f2, PG);
        close(fd);
    }

    /* 7. MAP_FIXED over part of an existing mapping. */
    char *fx = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (CHECK(fx != MAP_FAILED, "mmap 3 pages")) {
        memset(fx, 'a', 3 * PG);
        char *g = mmap(fx + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        CHECK(g == fx + PG, "MAP_FIXED returns the requested address");
        CHECK(fx[0] == 'a' && fx[PG] == 0 && fx[2 * PG] == 'a', "MAP_FIXED replaced only the middle page (zeroed)");
        munmap(fx, 3 * PG);
    }

    /* 8. madvise. */
    char *ma = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (CHECK(ma != MAP_FAILED, "mmap 4 pages for madvise")) {
        memset(ma, 'm', 4 * PG);
        CHECK(madvise(ma, 4 * PG, MADV_DONTNEED) == 0, "madvise(MADV_DONTNEED) returns 0");
        CHECK(ma[0] == 0 && ma[3 * PG + 5] == 0, "private anonymous pages read as zero after MADV_DONTNEED");
        ma[PG] = 'n';
        CHECK(ma[PG] == 'n', "still writable after MADV_DONTNEED");
        munmap(ma, 4 * PG);
    }

    /* 9. Errors. */
    errno = 0;
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
          "mmap of length 0 gives EINVAL");
    errno = 0;
    CHECK(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED && errno == EBADF, "mmap of a bad fd gives EBADF");
    errno = 0;
    CHECK(munmap((void *)(uintptr_t)(PG + 1), PG) == -1 && errno == EINVAL, "munmap of an unaligned address gives EINVAL");

    /* 10. A big mapping touched sparsely. */
    size_t blen = 64u << 20;
    char *big = mmap(NULL, blen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (CHECK(big != MAP_FAILED, "mmap 64 MiB")) {
        int okbig = 1;
        for (size_t i = 0; i < blen; i += 1 << 20)
            big[i] = (char)(i >> 20);
        for (size_t i = 0; i < blen; i += 1 << 20)
            if (big[i] != (char)(i >> 20) || big[i + 1] != 0)
                okbig = 0;
        CHECK(okbig, "64 MiB mapping touched once per MiB reads back");
        CHECK(munmap(big, blen) == 0, "munmap 64 MiB");
    }

    return check_done("t_mem");
}
