/* t_mremap: mremap grows in place, grows by moving (MREMAP_MAYMOVE) with
 * the contents and rights kept, shrinks, moves to a fixed address
 * (MREMAP_FIXED) replacing what was there, keeps copy-on-write after a
 * fork, and refuses what it must.  Passes on Linux too. */
#define _GNU_SOURCE
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PG 4096ul

static int pattern_ok(const unsigned char *p, size_t pages, unsigned seed)
{
    for (size_t i = 0; i < pages; i++)
        if (p[i * PG] != (unsigned char)(seed + i) || p[i * PG + PG - 1] != (unsigned char)(seed - i))
            return 0;
    return 1;
}

static void pattern(unsigned char *p, size_t pages, unsigned seed)
{
    for (size_t i = 0; i < pages; i++) {
        p[i * PG] = (unsigned char)(seed + i);
        p[i * PG + PG - 1] = (unsigned char)(seed - i);
    }
}

static int zero(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return 0;
    return 1;
}

int main(void)
{
    /* Grow with MAYMOVE, wherever it ends up: contents kept, new part zero. */
    unsigned char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "mmap 4 pages");
    pattern(a, 4, 10);
    unsigned char *b = mremap(a, 4 * PG, 64 * PG, MREMAP_MAYMOVE);
    CHECK(b != MAP_FAILED, "grow to 64 pages (MAYMOVE)");
    CHECK(b != MAP_FAILED && pattern_ok(b, 4, 10), "the first 4 pages kept their bytes");
    CHECK(b != MAP_FAILED && zero(b + 4 * PG, 60 * PG), "the 60 new pages are zero");
    if (b != MAP_FAILED) {
        b[64 * PG - 1] = 9;
        CHECK(b[64 * PG - 1] == 9, "and writable");
    }

    /* Force a move: a mapping right after it blocks growth in place. */
    unsigned char *c = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(c != MAP_FAILED && mprotect(c + 2 * PG, PG, PROT_READ) == 0, "2 pages with a read-only one right after them");
    pattern(c, 2, 40);
    errno = 0;
    CHECK(mremap(c, 2 * PG, 8 * PG, 0) == MAP_FAILED && errno == ENOMEM, "growing in place into it: ENOMEM");
    CHECK(pattern_ok(c, 2, 40), "which changed nothing");
    unsigned char *e = mremap(c, 2 * PG, 8 * PG, MREMAP_MAYMOVE);
    CHECK(e != MAP_FAILED && e != c, "MAYMOVE moves it (%p -> %p)", (void *)c, (void *)e);
    CHECK(e != MAP_FAILED && pattern_ok(e, 2, 40) && zero(e + 2 * PG, 6 * PG), "with its bytes, the rest zero");
    CHECK(mremap(c, 2 * PG, 2 * PG, 0) == MAP_FAILED && errno == EFAULT, "the old address is unmapped (mremap: EFAULT)");

    /* Shrink: the tail goes, the head stays. */
    unsigned char *f = mremap(e, 8 * PG, 3 * PG, 0);
    CHECK(f == e && pattern_ok(f, 2, 40), "shrink to 3 pages in place");
    errno = 0;
    CHECK(mremap(e + 3 * PG, PG, PG, 0) == MAP_FAILED && errno == EFAULT, "the cut tail is unmapped");

    /* MREMAP_FIXED: to a given address, replacing a mapping there. */
    unsigned char *dst = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(dst, 0x77, 4 * PG);
    unsigned char *g = mremap(f, 3 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    CHECK(g == dst && pattern_ok(g, 2, 40) && zero(g + 3 * PG, PG), "FIXED: moved onto the other mapping (%p)", (void *)g);
    errno = 0;
    CHECK(mremap(f, PG, PG, 0) == MAP_FAILED && errno == EFAULT, "and gone from the old place");

    /* Read-only stays read-only after a move: a write faults. */
    unsigned char *ro = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *ro2 = mremap(ro, 2 * PG, 6 * PG, MREMAP_MAYMOVE);
    pid_t k = fork();
    if (k == 0) {
        ro2[5 * PG] = 1;
        _exit(0);
    }
    int st;
    CHECK(ro2 != MAP_FAILED && waitpid(k, &st, 0) == k && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
          "a moved read-only mapping stays read-only, its new pages too");

    /* Copy-on-write across a move after fork. */
    unsigned char *cw = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pattern(cw, 2, 70);
    int pipefd[2];
    pipe(pipefd);
    k = fork();
    if (k == 0) {
        char go;
        read(pipefd[0], &go, 1);
        _exit(pattern_ok(cw, 2, 70) ? 0 : 1);       /* the parent's writes must not show */
    }
    unsigned char *cw2 = mremap(cw, 2 * PG, 16 * PG, MREMAP_MAYMOVE);
    if (cw2 != MAP_FAILED)
        pattern(cw2, 2, 99);
    write(pipefd[1], "g", 1);
    CHECK(cw2 != MAP_FAILED && waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "after fork, writes to the moved pages stay the parent's (copy-on-write)");
    CHECK(cw2 != MAP_FAILED && pattern_ok(cw2, 2, 99), "and the parent sees its own");

    /* Errors. */
    unsigned char *h = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = 0;
    CHECK(mremap(h + 1, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL, "unaligned old: EINVAL");
    errno = 0;
    CHECK(mremap(h, 2 * PG, 0, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL, "new_len 0: EINVAL");
    errno = 0;
    CHECK(mremap(h, 2 * PG, 4 * PG, 0x100) == MAP_FAILED && errno == EINVAL, "unknown flags: EINVAL");
    errno = 0;
    CHECK(mremap(h, 2 * PG, 4 * PG, MREMAP_FIXED, h + 64 * PG) == MAP_FAILED && errno == EINVAL,
          "FIXED without MAYMOVE: EINVAL");
    errno = 0;
    CHECK(mremap(h, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, h + PG) == MAP_FAILED && errno == EINVAL,
          "FIXED onto an overlapping range: EINVAL");
    errno = 0;
    CHECK(syscall(SYS_mremap, 0x7ffffffff000ul + 2 * PG, PG, 2 * PG, MREMAP_MAYMOVE, 0) == -1 &&
          (errno == EFAULT || errno == EINVAL), "an address outside the program's space: refused (%d)", errno);
    munmap(h, 2 * PG);
    errno = 0;
    CHECK(mremap(h, 2 * PG, 4 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT, "an unmapped range: EFAULT");

    /* realloc of big blocks goes through mremap in musl. */
    size_t sz = 1 << 20;
    unsigned char *m = malloc(sz);
    memset(m, 0x5a, sz);
    m = realloc(m, 8 * sz);
    CHECK(m && m[0] == 0x5a && m[sz - 1] == 0x5a, "realloc of 1 MiB to 8 MiB keeps the bytes");
    free(m);
    return check_done("t_mremap");
}
