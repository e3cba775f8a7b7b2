/*
 * POSIX rows of `make bench`: one static Linux program (musl-gcc -static
 * -O2), the same binary on both sides.  On Veneer it runs under the POSIX
 * libOS (`init=posix run=pbench,pbench,veneer`); on Linux the peer's /init
 * starts it (`pbench=1` on the kernel command line, bench/linux/init.c).
 *
 *   pbench <os> [quick]
 *
 * os is the name its lines carry (veneer or linux: the program cannot
 * tell, as the libOS answers as Linux does); quick divides every count by
 * 100, as bench-smoke and QUICK=1 do.  It measures with the core of the
 * other rows (bench/bench_common.h: rdtsc, which counts guest instructions
 * under -icount shift=0, 0 and n calls per sample, loop and call rows)
 * and tags its begin line suite=posix, so bench/report.awk keeps its loop
 * and call rows (posix_loop, posix_call) apart from the native programs'
 * and subtracts its own call cost from these rows:
 *   getpid     a raw `syscall` instruction of getpid (no libc wrapper)
 *   pipe_rt    a byte down pipe A to a forked child, which reads it and
 *              writes a byte back up pipe B, which we read: one round trip
 *   fork_wait  fork, the child _exit(0)s at once, waitpid reaps it
 *   fork_chain100 a chain of FORK_CHAIN processes: each forks the next and
 *              waits for it, the last _exit(0)s at once; one op is the
 *              whole chain (100 forks alive at once at its deepest)
 *   thread_join pthread_create of a thread that returns at once, then
 *              pthread_join (clone, the thread's exit, the futex wake)
 *   threads100 100 threads created (each returns its index), then all
 *              joined
 *   epoll_wait epoll_wait(timeout 0) on a set of 8 pipes' read ends, one
 *              of them holding a byte: one scan reporting one event
 *   timerfd    timerfd_settime arming a timer 1 s ahead, timerfd_gettime
 *              (which must show it armed), timerfd_settime disarming it:
 *              three calls, nothing left to expire (lib/posix/timerfd.c)
 *   mremap     a 16-page mapping grown to 32 pages with MREMAP_MAYMOVE,
 *              then shrunk back to 16 (lib/posix/mremap.c)
 * Both sides' clocks bracket each sample (clock_gettime(CLOCK_MONOTONIC):
 * the vDSO on Linux, a reflected call on Veneer), as the Linux peer does.
 * A line starting "bench: " means an operation failed (bench/run.sh).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../bench_common.h"
#include "../linux_syscall.h"

/* Calls per sample (getpid: BENCH_ITERS, 20,000); quick divides by 100. */
#define PBENCH_PIPE_ITERS BENCH_SWITCH_ITERS   /* pipe_rt: 5,000 round trips */
#define PBENCH_FORK_ITERS 50        /* fork_wait: about 0.5 M instructions each on Veneer */
#define PBENCH_THREAD_ITERS 50      /* thread_join */
#define PBENCH_CHAIN_ITERS 2        /* fork_chain100: chains per sample */
#define FORK_CHAIN 100              /* its depth */
#define THREADS100 100              /* threads100: threads per operation */
#define PBENCH_SMALL_ITERS 2000     /* timerfd, mremap: a few thousand instructions each */

static long errors;                 /* operations that did not do what they should */

/* A run's failed operations: reported on a "bench: " line (which fails
 * the run) and counted again from 0. */
static void report_failed(const char *op, long *count, uint64_t n, const char *what)
{
    if (*count) {
        printf("bench: %s: %ld of %lu %s\n", op, *count, (unsigned long)n, what);
        errors++;
        *count = 0;
    }
}
static pid_t me;

/* getpid: the null syscall of the POSIX layer, checked once per sample. */
static void op_getpid(void)
{
    raw_syscall0(SYS_getpid);
}

static uint64_t getpid_done(uint64_t n)
{
    if (raw_syscall0(SYS_getpid) != me) {
        printf("bench: getpid: %ld, not %d\n", raw_syscall0(SYS_getpid), (int)me);
        errors++;
    }
    (void)n;
    return 0;
}

/* pipe_rt: the partner is forked before each timed run and reaped after
 * it, untimed; it echoes every byte of pipe A up pipe B until end of file. */
static pid_t partner;
static int to_child = -1, from_child = -1;
static long misses;

static void op_pipe_rt(void)
{
    char c = 'x';
    if (raw_syscall3(SYS_write, to_child, (long)&c, 1) != 1 ||
        raw_syscall3(SYS_read, from_child, (long)&c, 1) != 1)
        misses++;
}

static void pipe_prep(uint64_t n)
{
    int a[2], b[2];
    if (!n)
        return;
    if (pipe(a) < 0 || pipe(b) < 0) {
        printf("bench: pipe_rt: no pipes\n");
        errors++;
        return;
    }
    partner = fork();
    if (partner == 0) {
        char c;
        close(a[1]);
        close(b[0]);
        while (raw_syscall3(SYS_read, a[0], (long)&c, 1) == 1)
            if (raw_syscall3(SYS_write, b[1], (long)&c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(a[0]);
    close(b[1]);
    to_child = a[1];
    from_child = b[0];
    if (partner < 0) {
        printf("bench: pipe_rt: fork failed\n");
        errors++;
    }
    misses = 0;
    for (int i = 0; i < 4; i++)     /* into its loop */
        op_pipe_rt();
}

static uint64_t pipe_done(uint64_t n)
{
    int st;
    if (to_child < 0)
        return 0;
    close(to_child);                /* the child reads end of file and exits */
    close(from_child);
    to_child = from_child = -1;
    if (partner > 0 && (waitpid(partner, &st, 0) != partner || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
        printf("bench: pipe_rt: the partner did not exit cleanly\n");
        errors++;
    }
    partner = 0;
    if (misses) {
        printf("bench: pipe_rt: %ld of %lu round trips failed\n", misses, (unsigned long)n + 4);
        errors++;
    }
    return 0;
}

/* fork_wait: fork, the child exits at once, the parent reaps it. */
static long fork_errors;

static void op_fork_wait(void)
{
    int st;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fork_errors++;
}

static uint64_t fork_done(uint64_t n)
{
    report_failed("fork_wait", &fork_errors, n, "children failed");
    return 0;
}

/* fork_chain100: the process at depth d forks depth d + 1 and waits for
 * it; each exits 0 only if its child did, so a failure anywhere reaches
 * the top. */
static void op_fork_chain(void)
{
    int st;
    pid_t top = fork();
    if (top == 0) {
        for (int d = 1;; d++) {
            if (d == FORK_CHAIN)
                _exit(0);
            pid_t pid = fork();
            if (pid < 0)
                _exit(2);
            if (pid > 0)
                _exit(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 3);
        }
    }
    if (top < 0 || waitpid(top, &st, 0) != top || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fork_errors++;
}

static uint64_t chain_done(uint64_t n)
{
    report_failed("fork_chain100", &fork_errors, n, "chains failed");
    return 0;
}

/* thread_join: one thread created and joined; it must return its argument. */
static long thread_errors;

static void *thread_ret(void *arg)
{
    return arg;
}

static void op_thread_join(void)
{
    pthread_t t;
    void *r = NULL;
    if (pthread_create(&t, NULL, thread_ret, (void *)&thread_errors) != 0 || pthread_join(t, &r) != 0 ||
        r != (void *)&thread_errors)
        thread_errors++;
}

static uint64_t thread_done(uint64_t n)
{
    report_failed("thread_join", &thread_errors, n, "threads failed");
    return 0;
}

static uint64_t threads100_done(uint64_t n)
{
    report_failed("threads100", &thread_errors, n * THREADS100, "threads failed");
    return 0;
}

/* threads100: 100 threads created, then all joined, each returning its
 * index (up to 100 alive at once). */

static void *thread_index(void *arg)
{
    return arg;
}

static void op_threads100(void)
{
    static pthread_t t[THREADS100];
    int made = 0;
    for (uintptr_t i = 0; i < THREADS100; i++)
        made += pthread_create(&t[made], NULL, thread_index, (void *)i) == 0;
    for (int i = 0; i < made; i++) {
        void *r = NULL;
        if (pthread_join(t[i], &r) != 0 || r != (void *)(uintptr_t)i)
            thread_errors++;
    }
    thread_errors += THREADS100 - made;
}

/* epoll_wait: the set and its pipes are made before each timed run and
 * closed after it, untimed; every call must report the one ready pipe. */
#define EPW_PIPES 8
static int epw_fd = -1, epw_pipes[EPW_PIPES][2];
static long epw_misses;

static void op_epoll_wait(void)
{
    struct epoll_event ev[EPW_PIPES];
    if (raw_syscall4(SYS_epoll_wait, epw_fd, (long)ev, EPW_PIPES, 0) != 1 || ev[0].data.u32 != 3)
        epw_misses++;
}

static void epw_prep(uint64_t n)
{
    (void)n;
    epw_fd = epoll_create1(0);
    for (int i = 0; i < EPW_PIPES; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (pipe(epw_pipes[i]) < 0 || epoll_ctl(epw_fd, EPOLL_CTL_ADD, epw_pipes[i][0], &e) < 0) {
            printf("bench: epoll_wait: no pipes or no epoll\n");
            errors++;
            return;
        }
    }
    if (write(epw_pipes[3][1], "x", 1) != 1)
        errors++;
    epw_misses = 0;
}

static uint64_t epw_done(uint64_t n)
{
    for (int i = 0; i < EPW_PIPES; i++)
        close(epw_pipes[i][0]), close(epw_pipes[i][1]);
    close(epw_fd);
    epw_fd = -1;
    report_failed("epoll_wait", &epw_misses, n, "calls did not report the ready pipe");
    return 0;
}

/* timerfd: the descriptor is made before each timed run and closed after
 * it; every gettime must show the timer armed. */
static int tfd = -1;
static long tfd_misses;

static void op_timerfd(void)
{
    static const struct itimerspec arm = {{0, 0}, {1, 0}}, off = {{0, 0}, {0, 0}};
    struct itimerspec cur;
    if (raw_syscall4(SYS_timerfd_settime, tfd, 0, (long)&arm, 0) != 0 ||
        raw_syscall3(SYS_timerfd_gettime, tfd, (long)&cur, 0) != 0 || (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0) ||
        raw_syscall4(SYS_timerfd_settime, tfd, 0, (long)&off, 0) != 0)
        tfd_misses++;
}

static void tfd_prep(uint64_t n)
{
    (void)n;
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (tfd < 0) {
        printf("bench: timerfd: no timerfd\n");
        errors++;
    }
    tfd_misses = 0;
}

static uint64_t tfd_done(uint64_t n)
{
    close(tfd);
    report_failed("timerfd", &tfd_misses, n, "arm, get, disarm triples failed");
    return 0;
}

/* mremap: one 16-page mapping, made and touched before each timed run and
 * unmapped after it; each call grows it (wherever it goes) and shrinks it. */
#define MRE_PAGES 16
static unsigned char *mre;
static long mre_misses;

static void op_mremap(void)
{
    unsigned char *g = (unsigned char *)raw_syscall4(SYS_mremap, (long)mre, MRE_PAGES * 4096, 2 * MRE_PAGES * 4096,
                                                     MREMAP_MAYMOVE);
    if ((long)g < 0 && (long)g > -4096) {
        mre_misses++;
        return;
    }
    if (g[0] != 0x5a || raw_syscall4(SYS_mremap, (long)g, 2 * MRE_PAGES * 4096, MRE_PAGES * 4096, 0) != (long)g)
        mre_misses++;
    mre = g;
}

static void mre_prep(uint64_t n)
{
    (void)n;
    mre = mmap(NULL, MRE_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mre == MAP_FAILED) {
        printf("bench: mremap: no mapping\n");
        errors++;
        return;
    }
    memset(mre, 0x5a, MRE_PAGES * 4096);
    mre_misses = 0;
}

static uint64_t mre_done(uint64_t n)
{
    munmap(mre, MRE_PAGES * 4096);
    report_failed("mremap", &mre_misses, n, "grow-and-shrink pairs failed");
    return 0;
}

static const struct bench_op ops[] = {
    {"getpid", op_getpid, 0, 0, NULL, getpid_done},
    {"pipe_rt", op_pipe_rt, PBENCH_PIPE_ITERS, 0, pipe_prep, pipe_done},
    {"fork_wait", op_fork_wait, PBENCH_FORK_ITERS, 0, NULL, fork_done},
    {"fork_chain100", op_fork_chain, PBENCH_CHAIN_ITERS, 0, NULL, chain_done},
    {"thread_join", op_thread_join, PBENCH_THREAD_ITERS, 0, NULL, thread_done},
    {"threads100", op_threads100, PBENCH_CHAIN_ITERS, 0, NULL, threads100_done},
    {"epoll_wait", op_epoll_wait, 0, 0, epw_prep, epw_done},
    {"timerfd", op_timerfd, PBENCH_SMALL_ITERS, 0, tfd_prep, tfd_done},
    {"mremap", op_mremap, PBENCH_SMALL_ITERS, 0, mre_prep, mre_done},
};

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "veneer") != 0 && strcmp(argv[1], "linux") != 0)) {
        fprintf(stderr, "usage: pbench veneer|linux [quick]\n");
        return 2;
    }
    int quick = argc > 2 && strcmp(argv[2], "quick") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    me = getpid();
    bench_suite = "posix";
    int status = bench_main(argv[1], ops, sizeof(ops) / sizeof(ops[0]), clock_ns, quick);
    return status || errors ? 1 : 0;
}
