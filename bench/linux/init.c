/*
 * Linux side of `make bench`: the /init of the peer's initramfs, built with
 * `musl-gcc -static`.  It runs the same operations as user/bench.c with
 * the same measurement core (bench/bench_common.h, and bench/bench_mem.h
 * for the memory rows), adding the wall clock Linux has
 * (clock_gettime(CLOCK_MONOTONIC), through the vDSO), then stops QEMU
 * through isa-debug-exit (status 1, like a passing Veneer run).  The boot
 * parameter quick=1 (an environment variable of init) makes the quick run.
 * With pbench=1 it runs the POSIX rows instead: it starts /pbench (the
 * same static binary Veneer's POSIX libOS runs, bench/posix/pbench.c),
 * waits for it and exits QEMU with its status.  With net=1 it serves the
 * network rows instead (bench/linux/net.c: busybox httpd and a UDP echo
 * for the host's clients) until the host stops QEMU.
 *
 * Like the Veneer program, it is also its own child: run as
 * `/init exit|pingpong|yield|futex` (posix_spawn), it is the trivial
 * program of the spawn row or the partner of the ctxsw, yield, ipc and
 * notify rows.
 *
 * Veneer's irq and dma rows (QEMU's edu, present here too) have no row
 * here: an unprivileged Linux program reaches a device's interrupt or its
 * IOMMU only through VFIO, which this peer does not have
 * (docs/performance.md), so the table shows "-" for them.
 *
 * Adding an operation: one row here and the row of the same name in
 * user/bench.c, or one entry of BENCH_MEM_OPS in bench/bench_mem.h.  Each
 * row must do the same work as its Veneer twin: system calls are raw
 * `syscall` instructions with the same register shape, no libc wrapper
 * (spawn excepted: posix_spawn is the operation).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../bench_common.h"
#include "../linux_syscall.h"
#include "../bench_mem.h"
#include "net.h"

/* The null syscall's peer: getpid does no work beyond entry and exit. */
static void op_null(void)
{
    raw_syscall0(SYS_getpid);
}

/* ---- memory rows (bench/bench_mem.h) on mprotect and SIGSEGV */

static void bench_protect(uint64_t va, uint64_t npages, int writable)
{
    raw_syscall3(SYS_mprotect, (long)va, (long)(npages * BENCH_PAGE),
                 writable ? PROT_READ | PROT_WRITE : PROT_READ);
}

/* Anonymous memory in 4 KiB pages, as Veneer maps it: Debian's kernel has
 * transparent huge pages always on, which would fault in 2 MiB at once. */
static uint64_t anon(uint64_t npages)
{
    void *p = mmap(NULL, npages * BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    madvise(p, npages * BENCH_PAGE, MADV_NOHUGEPAGE);
    return (uint64_t)p;
}

static uint64_t bench_area_new(uint64_t npages)
{
    return anon(npages);
}

static void bench_area_free(uint64_t va, uint64_t npages)
{
    munmap((void *)va, npages * BENCH_PAGE);
}

/* The Appel-Li rows' protection faults; any other SIGSEGV is a bug. */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
    static const char msg[] = "bench: unexpected SIGSEGV\n";
    (void)uc;
    if (bench_prot_fault((uint64_t)si->si_addr))
        return;
    raw_syscall3(SYS_write, 1, (long)msg, sizeof(msg) - 1);
    signal(sig, SIG_DFL);           /* the fault repeats and ends us */
}

/* ---- a partner process on the one CPU */

static pid_t partner;
static uint64_t partner_calls;
static long misses;                 /* ctxsw: round trips that failed */
static uint64_t switched;           /* yield: yields after which the partner had run */
static int to_child = -1, from_child = -1;
static volatile uint64_t *yield_count;  /* yield: the child's count, shared */
static long spawn_errors;

/* Start `/init mode` with fds[i] as its descriptor 3 + i. */
static pid_t start(const char *mode, const int *fds, int nfds)
{
    char *argv[] = {"/init", (char *)mode, NULL}, *envp[] = {NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < nfds; i++)
        posix_spawn_file_actions_adddup2(&fa, fds[i], 3 + i);
    int r = posix_spawn(&pid, "/init", &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    return r == 0 ? pid : -1;
}

/* ctxsw: the usual ping-pong through two pipes (lmbench's lat_ctx): we
 * write a byte and block reading the answer, the child does the reverse;
 * one call is a round trip, two switches.  The ipc row is the same round
 * trip counted as one operation (row: the name in messages). */
static const char *pipes_row = "ctxsw";

static void pipes_prep(uint64_t n)
{
    int a[2], b[2];
    char c = 0;
    if (!n)
        return;
    if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0) {
        printf("bench: %s: no pipes\n", pipes_row);
        return;
    }
    int fds[2] = {a[0], b[1]};
    partner = start("pingpong", fds, 2);
    close(a[0]);
    close(b[1]);
    to_child = a[1];
    from_child = b[0];
    if (partner < 0)
        printf("bench: %s: cannot start the partner\n", pipes_row);
    for (int i = 0; i < 4; i++) {  /* into its loop */
        raw_syscall3(SYS_write, to_child, (long)&c, 1);
        raw_syscall3(SYS_read, from_child, (long)&c, 1);
    }
    misses = 0;
    partner_calls = n;
}

static void op_ctxsw(void)
{
    char c = 0;
    raw_syscall3(SYS_write, to_child, (long)&c, 1);
    if (raw_syscall3(SYS_read, from_child, (long)&c, 1) != 1)
        misses++;
}

static void ctxsw_prep(uint64_t n)
{
    pipes_row = "ctxsw";
    pipes_prep(n);
}

/* ipc: Linux's nearest to a protected control transfer between two
 * address spaces, a request byte down one pipe and a reply byte back up
 * the other: the ctxsw round trip, counted as one operation. */
static void ipc_prep(uint64_t n)
{
    pipes_row = "ipc";
    pipes_prep(n);
}

static uint64_t ctxsw_done(uint64_t n)
{
    (void)n;
    if (to_child < 0)
        return 0;
    close(to_child);                /* the child reads end of file and exits */
    close(from_child);
    to_child = from_child = -1;
    if (partner > 0)
        waitpid(partner, NULL, 0);
    partner = 0;
    if (misses)
        printf("bench: %s: %ld of %lu round trips failed\n", pipes_row, misses, (unsigned long)partner_calls);
    return 0;
}

/* A page a child can map too (a memfd, passed down as *fd): NULL and a
 * complaint if there is none. */
static void *shared_page(const char *row, int *fd)
{
    void *p = MAP_FAILED;
    *fd = memfd_create(row, MFD_CLOEXEC);
    if (*fd >= 0 && ftruncate(*fd, BENCH_PAGE) == 0)
        p = mmap(NULL, BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (p == MAP_FAILED) {
        printf("bench: %s: no shared page\n", row);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return NULL;
    }
    return p;
}

/* yield: sched_yield against a child doing the same; it counts its turns
 * in a page we share (a memfd), so that we see which yields switched. */
static void yield_prep(uint64_t n)
{
    static int fd = -1;
    if (!n)
        return;
    if (fd < 0 && !(yield_count = shared_page("yield", &fd)))
        return;
    *yield_count = 0;
    partner = start("yield", &fd, 1);
    if (partner < 0) {
        printf("bench: yield: cannot start the partner\n");
        return;
    }
    /* Until it takes turns: a new task may wait for its first (CFS). */
    for (int i = 0; i < 1000000 && *yield_count < 4; i++)
        raw_syscall0(SYS_sched_yield);
    switched = 0;
    partner_calls = n;
}

/* Counts the yields after which the partner had run: two switches each. */
static void op_yield(void)
{
    uint64_t before = *yield_count;
    raw_syscall0(SYS_sched_yield);
    if (*yield_count != before)
        switched++;
}

/* CFS need not switch on every yield (the partner may be too far ahead
 * in virtual runtime): the row counts the switches that happened. */
static uint64_t yield_done(uint64_t n)
{
    (void)n;
    if (partner <= 0)
        return 0;
    kill(partner, SIGKILL);
    waitpid(partner, NULL, 0);
    partner = 0;
    /* The row divides by the switches that happened, so few is fine (CFS,
     * and wall-clock runs, skip many); none means the partner is broken. */
    if (switched == 0)
        printf("bench: yield: %lu of %lu yields switched\n", (unsigned long)switched,
               (unsigned long)partner_calls);
    return 2 * switched;
}

/* notify: futex ping-pong between two processes, the peer of Veneer's
 * notification round trip.  Two words in a page both map (a memfd, so
 * shared futexes: FUTEX_WAIT and FUTEX_WAKE without FUTEX_PRIVATE_FLAG):
 * [0] we wait on, [1] the child waits on.  One call stores the next
 * sequence number in [1] and wakes the child, then waits until [0] holds
 * it; the child copies [1] to [0] and wakes us: two wakes, two waits,
 * two switches. */
#define FUTEX_WAIT 0                /* <linux/futex.h>, which musl-gcc does not see */
#define FUTEX_WAKE 1

static volatile uint32_t *futex_page;
static uint32_t futex_seq;

static void futex_wait(volatile uint32_t *w, uint32_t val)
{
    raw_syscall4(SYS_futex, (long)w, FUTEX_WAIT, val, 0);
}

static void futex_wake(volatile uint32_t *w)
{
    raw_syscall3(SYS_futex, (long)w, FUTEX_WAKE, 1);
}

static void op_notify(void)
{
    uint32_t s = ++futex_seq;
    futex_page[1] = s;
    futex_wake(&futex_page[1]);
    uint32_t v;
    while ((v = futex_page[0]) != s)
        futex_wait(&futex_page[0], v);
}

static void notify_prep(uint64_t n)
{
    static int fd = -1;
    if (!n)
        return;
    if (fd < 0 && !(futex_page = shared_page("notify", &fd)))
        return;
    futex_page[0] = futex_page[1] = 0;
    futex_seq = 0;
    partner = start("futex", &fd, 1);
    if (partner < 0) {
        printf("bench: notify: cannot start the partner\n");
        return;
    }
    for (int i = 0; i < 4; i++)     /* into its loop */
        op_notify();
    partner_calls = n;
}

static uint64_t notify_done(uint64_t n)
{
    (void)n;
    if (partner <= 0)
        return 0;
    kill(partner, SIGKILL);
    waitpid(partner, NULL, 0);
    partner = 0;
    return 0;
}

/* spawn: posix_spawn this program (musl: clone(CLONE_VM | CLONE_VFORK)
 * and execve) as a child that exits at once, and wait4 for it. */
static void op_spawn(void)
{
    int st;
    pid_t pid = start("exit", NULL, 0);
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        spawn_errors++;
}


/* The disk rows, as user/bench.c's: 4 KiB at block 0 of the bench's NVMe
 * disk (/dev/nvme0n1, Linux's in-kernel driver), O_DIRECT so every call
 * reaches the device: blk_read one pread, blk_wflush a pwrite and an
 * fdatasync (which sends the device a flush).  Without the disk the rows
 * are left out. */
static int blk_fd = -1;
static void *blk_buf;
static long blk_errors;

static int blk_setup(void)
{
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    for (int i = 0; i < 200 && blk_fd < 0; i++) {     /* the NVMe probe is asynchronous */
        blk_fd = open("/dev/nvme0n1", O_RDWR | O_DIRECT);
        if (blk_fd < 0)
            usleep(10000);
    }
    if (blk_fd < 0 || posix_memalign(&blk_buf, 4096, BENCH_BLK_BYTES) != 0) {
        printf("no disk: the blk rows are left out\n");
        return 0;
    }
    memset(blk_buf, 0, BENCH_BLK_BYTES);
    return 1;
}

static void op_blk_read(void)
{
    if (pread(blk_fd, blk_buf, BENCH_BLK_BYTES, 0) != BENCH_BLK_BYTES)
        blk_errors++;
}

static void op_blk_wflush(void)
{
    if (pwrite(blk_fd, blk_buf, BENCH_BLK_BYTES, 0) != BENCH_BLK_BYTES || fdatasync(blk_fd) != 0)
        blk_errors++;
}

static const struct bench_op ops[] = {
    {"null", op_null, 0, 0, NULL, NULL},
    BENCH_MEM_OPS,
    {"ctxsw", op_ctxsw, BENCH_SWITCH_ITERS, 2, ctxsw_prep, ctxsw_done},
    {"yield", op_yield, BENCH_SWITCH_ITERS, 2, yield_prep, yield_done},
    {"ipc", op_ctxsw, BENCH_SWITCH_ITERS, 0, ipc_prep, ctxsw_done},
    {"notify", op_notify, BENCH_SWITCH_ITERS, 0, notify_prep, notify_done},
    {"spawn", op_spawn, BENCH_SPAWN_ITERS, 0, NULL, NULL},
    /* last, so that blk_setup can leave them out */
    {"blk_read", op_blk_read, BENCH_BLK_ITERS, 0, NULL, NULL},
    {"blk_wflush", op_blk_wflush, BENCH_BLK_ITERS, 0, NULL, NULL},
};
#define BLK_ROWS 2

/* The child modes; 0 if mode is none of them. */
static int child(const char *mode)
{
    char c;
    if (strcmp(mode, "exit") == 0)
        _exit(0);
    if (strcmp(mode, "pingpong") == 0) {
        while (raw_syscall3(SYS_read, 3, (long)&c, 1) == 1)
            raw_syscall3(SYS_write, 4, (long)&c, 1);
        _exit(0);
    }
    if (strcmp(mode, "yield") == 0) {
        volatile uint64_t *count = mmap(NULL, BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
        if (count == MAP_FAILED)
            _exit(1);
        for (;;) {
            (*count)++;
            raw_syscall0(SYS_sched_yield);
        }
    }
    if (strcmp(mode, "futex") == 0) {
        volatile uint32_t *w = mmap(NULL, BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
        uint32_t seen = 0, v;
        if (w == MAP_FAILED)
            _exit(1);
        for (;;) {
            while ((v = w[1]) == seen)
                futex_wait(&w[1], v);
            seen = v;
            w[0] = v;
            futex_wake(&w[0]);
        }
    }
    return 0;
}

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One line of context: kernel release and the mitigations it chose. */
static void print_info(void)
{
    struct utsname u;
    uname(&u);
    printf("BENCHINFO os=linux release=%s", u.release);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    static const char *const vulns[] = {"meltdown", "spectre_v2"};
    for (size_t i = 0; i < sizeof(vulns) / sizeof(vulns[0]); i++) {
        char path[96], buf[128] = "?";
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", vulns[i]);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(buf, sizeof(buf), f))
                buf[strcspn(buf, "\n")] = 0;
            fclose(f);
        }
        for (char *p = buf; *p; p++)    /* keep the record one token per field */
            if (*p == ' ')
                *p = '_';
        printf(" %s=%s", vulns[i], buf);
    }
    printf("\n");
}

/* Linux logs every SIGSEGV that init takes, at KERN_EMERG (for init a
 * fatal signal would panic), on the serial console: that would land in
 * trap's timings.  The logging has a switch; the handler still runs. */
static void quiet_faults(void)
{
    mount("proc", "/proc", "proc", 0, NULL);
    FILE *f = fopen("/proc/sys/debug/exception-trace", "w");
    if (f) {
        fputs("0\n", f);
        fclose(f);
    }
}

static _Noreturn void exit_qemu(int status)
{
    fflush(stdout);
    if (iopl(3) == 0)
        outl((unsigned)status, 0xf4);   /* QEMU exits with (status << 1) | 1 */
    reboot(RB_POWER_OFF);
    _exit(status);
}

/* pbench=1: the POSIX rows, /pbench as our child (pinned to CPU 0 as we
 * are); its output goes to the console as ours does.  Its status is ours. */
static int run_pbench(int quick)
{
    char *argv[] = {"pbench", "linux", quick ? "quick" : NULL, NULL}, *envp[] = {NULL};
    pid_t pid;
    int st = 0;
    fflush(stdout);
    if (posix_spawn(&pid, "/pbench", NULL, NULL, argv, envp) != 0) {
        printf("bench: cannot start /pbench\n");
        return 1;
    }
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("bench: /pbench failed (wait status %#x)\n", st);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        child(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    cpu_set_t cpu0;                     /* one CPU, like Veneer; children inherit it */
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    sched_setaffinity(0, sizeof(cpu0), &cpu0);
    print_info();
    const char *quick = getenv("quick");
    int q = quick && *quick == '1';
    const char *pb = getenv("pbench");
    if (pb && *pb == '1')
        exit_qemu(run_pbench(q));
    const char *net = getenv("net");
    if (net && *net == '1')
        exit_qemu(net_main());
    quiet_faults();
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    bench_region_pages = q ? BENCH_QUICK_PAGES : BENCH_PAGES;
    bench_region = anon(bench_region_pages);
    int status = 1;
    if (bench_region && sigaction(SIGSEGV, &sa, NULL) == 0) {
        for (uint64_t i = 0; i < bench_region_pages; i++)
            bench_write(bench_pg(i));
        size_t nops = sizeof(ops) / sizeof(ops[0]) - (blk_setup() ? 0 : BLK_ROWS);
        status = bench_main("linux", ops, nops, clock_ns, q);
    } else {
        printf("bench: setup failed\n");
    }
    if (spawn_errors) {
        printf("bench: spawn: %ld children failed\n", spawn_errors);
        status = 1;
    }
    if (blk_errors) {
        printf("bench: blk: %ld requests failed\n", blk_errors);
        status = 1;
    }
    exit_qemu(status);
}
