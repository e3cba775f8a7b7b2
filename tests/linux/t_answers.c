/* t_answers: the wrong answers of issue 13, each as Linux gives it.
 * Checks: a write to a PROT_NONE page is SIGSEGV with SEGV_ACCERR, one to
 * an unmapped page SEGV_MAPERR; setpgid into a group of another session is
 * EPERM; SIG_IGN discards a signal already pending (and blocked);
 * execve with a NULL envp and with a NULL argv runs the program with an
 * empty environment / no arguments; /proc/<pid>/cmdline names the program
 * after execve, not before; getrusage and times report the CPU time of
 * the process and of its waited-for children, and /proc/stat has a cpu
 * line (busybox top reads it).  Passes on Linux too. */
#define _GNU_SOURCE
#include "check.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/times.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdint.h>
#include <time.h>

static sigjmp_buf jb;
static volatile int seen_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    seen_code = si->si_code;
    siglongjmp(jb, 1);
}

/* The si_code of a write to p, or 0 if it did not fault. */
static int fault_code(volatile char *p)
{
    seen_code = 0;
    if (sigsetjmp(jb, 1) == 0)
        *p = 1;
    return seen_code;
}

static void check_segv_codes(void)
{
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap three pages");
    CHECK(mprotect(p, 4096, PROT_NONE) == 0, "mprotect the first PROT_NONE");
    CHECK(mprotect(p + 4096, 4096, PROT_READ) == 0, "mprotect the second PROT_READ");
    CHECK(munmap(p + 2 * 4096, 4096) == 0, "munmap the third");
    int c = fault_code(p);
    CHECK(c == SEGV_ACCERR, "write to PROT_NONE: SEGV_ACCERR (got %d)", c);
    c = fault_code(p + 4096);
    CHECK(c == SEGV_ACCERR, "write to PROT_READ: SEGV_ACCERR (got %d)", c);
    c = fault_code(p + 2 * 4096);
    CHECK(c == SEGV_MAPERR, "write to an unmapped page: SEGV_MAPERR (got %d)", c);
    signal(SIGSEGV, SIG_DFL);
}

static void check_setpgid_session(void)
{
    int go[2];
    CHECK(pipe(go) == 0, "pipe");
    pid_t a = fork();
    if (a == 0) {                       /* a new session, leader of its own group */
        char b;
        setsid();
        read(go[0], &b, 1);
        _exit(0);
    }
    pid_t b = fork();
    if (b == 0) {                       /* our session: may not join a's group */
        for (int i = 0; i < 2000 && getsid(a) != a; i++)     /* up to 10 s: a loaded host */
            usleep(5000);
        int r = setpgid(0, a);
        _exit(r == -1 && errno == EPERM ? 0 : 1);
    }
    int st;
    CHECK(waitpid(b, &st, 0) == b && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "setpgid into another session's group: EPERM");
    write(go[1], "x", 1);
    waitpid(a, &st, 0);
    close(go[0]);
    close(go[1]);
}

static volatile int usr1_runs;
static void on_usr1(int s) { (void)s; usr1_runs++; }

static void check_ign_discards(void)
{
    sigset_t m, old, pend;
    signal(SIGUSR1, on_usr1);
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, &old);
    kill(getpid(), SIGUSR1);
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR1), "SIGUSR1 pending while blocked");
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "SIG_IGN discards the pending SIGUSR1");
    signal(SIGUSR1, on_usr1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(usr1_runs == 0, "nothing delivered after unblocking (%d)", usr1_runs);
}

/* Run self in mode m through execve with the given argv/envp (NULLs
 * allowed, raw syscall so libc does not fix them); returns the exit code. */
static int exec_mode(const char *self, char **argv, char **envp, int use_pipe, char *out, size_t outlen)
{
    int fd[2];
    if (use_pipe && pipe(fd) < 0)
        return -1;
    pid_t p = fork();
    if (p == 0) {
        if (use_pipe) {
            dup2(fd[1], 1);
            close(fd[0]);
        }
        syscall(SYS_execve, self, argv, envp);
        _exit(99);
    }
    if (use_pipe) {
        close(fd[1]);
        size_t got = 0;
        ssize_t n;
        while (got + 1 < outlen && (n = read(fd[0], out + got, outlen - 1 - got)) > 0)
            got += (size_t)n;
        out[got] = 0;
        close(fd[0]);
    }
    int st;
    if (waitpid(p, &st, 0) != p || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static void check_exec_nulls(const char *self)
{
    char *argv[] = {(char *)self, "env-count", NULL};
    char out[64];
    int r = exec_mode(self, argv, NULL, 1, out, sizeof out);
    CHECK(r == 0 && strcmp(out, "env 0\n") == 0, "execve with envp NULL: empty environment (%d, %s)", r, out);
    /* argv NULL: no arguments (argc 0, or one empty one as Linux 5.18+ makes). */
    char *envp[] = {"T_ANSWERS_ARGC0=1", NULL};
    r = exec_mode(self, NULL, envp, 0, out, sizeof out);
    CHECK(r == 40, "execve with argv NULL: no arguments (%d)", r);
}

static void check_cmdline_after_exec(const char *self)
{
    int fd[2];
    CHECK(pipe(fd) == 0, "pipe");
    pid_t p = fork();
    if (p == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        char *argv[] = {"renamed-after-exec", "cmdline", NULL};
        char *envp[] = {NULL};
        execve(self, argv, envp);
        _exit(99);
    }
    close(fd[1]);
    char out[128];
    ssize_t n = read(fd[0], out, sizeof out - 1);
    out[n > 0 ? n : 0] = 0;
    close(fd[0]);
    int st;
    waitpid(p, &st, 0);
    CHECK(strcmp(out, "renamed-after-exec cmdline\n") == 0, "/proc/<pid>/cmdline after execve: %s", out);
}

/* musl has no wrappers for the v2 calls: the raw ones (offset low, high). */
static long my_preadv2(int fd, const struct iovec *v, int n, long off, int flags)
{
    return syscall(SYS_preadv2, fd, v, n, off, 0, flags);
}

static long my_pwritev2(int fd, const struct iovec *v, int n, long off, int flags)
{
    return syscall(SYS_pwritev2, fd, v, n, off, 0, flags);
}

static void check_preadv(void)
{
    char path[] = "/tmp/t_answers_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    unlink(path);
    char a[3] = "abc", b[4] = "defg", r1[2], r2[5];
    struct iovec w[2] = {{a, 3}, {b, 4}}, rd[2] = {{r1, 2}, {r2, 5}};
    CHECK(pwritev(fd, w, 2, 10) == 7, "pwritev 7 bytes at 10");
    CHECK(lseek(fd, 0, SEEK_CUR) == 0, "pwritev leaves the offset");
    CHECK(preadv(fd, rd, 2, 10) == 7 && !memcmp(r1, "ab", 2) && !memcmp(r2, "cdefg", 5), "preadv reads them back");
    CHECK(preadv(fd, rd, 2, 16) == 1 && r1[0] == 'g', "preadv at the end: short");
    CHECK(preadv(fd, rd, 2, -5) == -1 && errno == EINVAL, "preadv negative offset: EINVAL");
    CHECK(lseek(fd, 12, SEEK_SET) == 12 && my_preadv2(fd, rd, 1, -1, 0) == 2 && !memcmp(r1, "cd", 2) &&
          lseek(fd, 0, SEEK_CUR) == 14, "preadv2 at -1: the current offset, advanced");
    CHECK(my_pwritev2(fd, w, 1, 0, 0) == 3, "pwritev2 flags 0");
    CHECK(my_preadv2(fd, rd, 1, 0, 0x1000) == -1 && errno == EOPNOTSUPP, "preadv2 unknown flag: EOPNOTSUPP");
    close(fd);
}

static volatile uint64_t sink;

/* Spin for about ms of wall time. */
static void burn(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        for (int i = 0; i < 100000; i++)
            sink += (uint64_t)i * i;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void check_times(void)
{
    burn(300);
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage(SELF)");
    long us = ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    CHECK(us >= 100000, "getrusage(SELF): %ld us of CPU after 300 ms of spinning", us);
    CHECK(ru.ru_maxrss > 0, "ru_maxrss %ld KiB", ru.ru_maxrss);
    pid_t p = fork();
    if (p == 0) {
        burn(300);
        _exit(0);
    }
    waitpid(p, NULL, 0);
    CHECK(getrusage(RUSAGE_CHILDREN, &ru) == 0, "getrusage(CHILDREN)");
    us = ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    CHECK(us >= 100000, "getrusage(CHILDREN): %ld us after a child spun 300 ms", us);
    struct tms t;
    CHECK(times(&t) != (clock_t)-1 && t.tms_utime + t.tms_stime >= 10 && t.tms_cutime + t.tms_cstime >= 10,
          "times: own %ld, children %ld ticks", (long)(t.tms_utime + t.tms_stime), (long)(t.tms_cutime + t.tms_cstime));
    CHECK(getrusage(7, &ru) == -1 && errno == EINVAL, "getrusage(7): EINVAL");
    char buf[256];
    int fd = open("/proc/stat", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    unsigned long u, ni, sy, id;
    CHECK(sscanf(buf, "cpu %lu %lu %lu %lu", &u, &ni, &sy, &id) == 4 && u + sy > 0, "/proc/stat: %.40s", buf);
}

int main(int argc, char **argv, char **envp)
{
    if (getenv("T_ANSWERS_ARGC0"))     /* Linux 5.18+ passes one empty argument */
        return argc == 0 || (argc == 1 && argv[0][0] == 0) ? 40 : 41;
    if (argc > 1 && strcmp(argv[1], "env-count") == 0) {
        int n = 0;
        while (envp[n])
            n++;
        printf("env %d\n", n);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "cmdline") == 0) {
        char path[64], buf[128];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getpid());
        int fd = open(path, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
            return 2;
        for (ssize_t i = 0; i < n - 1; i++)
            if (buf[i] == 0)
                buf[i] = ' ';
        buf[n - 1] = 0;
        printf("%s\n", buf);
        return 0;
    }
    const char *self = "/proc/self/exe";
    char selfbuf[256];
    ssize_t n = readlink(self, selfbuf, sizeof selfbuf - 1);
    if (n > 0) {
        selfbuf[n] = 0;
        self = selfbuf;
    } else {
        self = argv[0];
    }
    check_segv_codes();
    check_setpgid_session();
    check_ign_discards();
    check_exec_nulls(self);
    check_cmdline_after_exec(self);
    check_times();
    check_preadv();
    return check_done("t_answers");
}
