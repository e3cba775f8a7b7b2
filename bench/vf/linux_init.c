/*
 * The /init of the Linux peer's vf suite (bench/run.sh, suite vf): the
 * bench's Debian kernel with its nvme driver on the SR-IOV controller's
 * PF (the same QEMU device line as Veneer's boots; Linux leaves SR-IOV
 * off and sees the PF's shared namespace 1 as /dev/nvme0n1).  The same
 * rows as user/vfbench.c, under the same names, from the same harness
 * (bench/bench_common.h), three times: suite vf (beside Veneer's
 * VF-direct rows), suite vfk (beside its kernel driver's) and suite vfu
 * (beside its user-level driver environment's).  A request is a 4 KiB
 * pread or pwrite + fdatasync with O_DIRECT at a random 4 KiB offset of
 * the process's VFB_REGION (the leader the first, the background the
 * second); vf_prd1 and vf_pwf1 pass RWF_HIPRI, which polls the
 * completion where the driver has poll queues (nvme.poll_queues=1 on the
 * command line; io_poll from sysfs is printed).  Rows ending in 2: a
 * forked background process runs the same operation while the leader is
 * timed and both processes' operations count, as in user/vfbench.c; it
 * sleeps on a futex on vfb_ctl.op while the leader runs alone.
 * quick=1 on the command line: bench-smoke's counts.  It stops QEMU
 * through isa-debug-exit (QEMU exits 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../bench_common.h"
#include "vfb.h"

#define FUTEX_WAIT 0                /* <linux/futex.h>, which musl-gcc does not see */
#define FUTEX_WAKE 1
#ifndef RWF_HIPRI
#define RWF_HIPRI 0x00000001
#endif

static volatile struct vfb_ctl *ctl;
static int fd = -1;
static void *buf;
static long errors;
static uint64_t rng, base;         /* the process's region starts at base */
static uint64_t bg_count0;
static long lonely;                 /* full two-client samples the background did nothing in */

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t next_off(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return base + rng % (VFB_REGION / VFB_BYTES) * VFB_BYTES;
}

static void futex(volatile uint32_t *w, int op, uint32_t val)
{
    struct timespec t = {1, 0};
    syscall(SYS_futex, w, op, val, op == FUTEX_WAIT ? &t : NULL, NULL, 0);
}

/* preadv2 and pwritev2 (x86_64 numbers: this musl has no wrappers);
 * the offset's high half is 0 on a 64-bit kernel. */
#define NR_preadv2  327
#define NR_pwritev2 328

static void do_op(unsigned op, int flags)
{
    struct iovec v = {buf, VFB_BYTES};
    long off = (long)next_off();
    long n = syscall(op == VFB_OP_READ ? NR_preadv2 : NR_pwritev2, fd, &v, 1, off, 0, flags);
    if (n != VFB_BYTES || (op == VFB_OP_WRITE && fdatasync(fd) != 0))
        errors++;
}

static void op_rd(void) { do_op(VFB_OP_READ, 0); }
static void op_wf(void) { do_op(VFB_OP_WRITE, 0); }
static void op_prd(void) { do_op(VFB_OP_READ, RWF_HIPRI); }
static void op_pwf(void) { do_op(VFB_OP_WRITE, RWF_HIPRI); }

static void bg_set(unsigned op)
{
    __atomic_store_n(&ctl->op, op, __ATOMIC_RELEASE);
    if (op != VFB_OP_IDLE)
        futex(&ctl->op, FUTEX_WAKE, 1);
    bg_count0 = __atomic_load_n(&ctl->count, __ATOMIC_ACQUIRE);
}

static void prep_alone(uint64_t n) { (void)n; bg_set(VFB_OP_IDLE); }
static void prep_rd2(uint64_t n) { (void)n; bg_set(VFB_OP_READ); }
static void prep_wf2(uint64_t n) { (void)n; bg_set(VFB_OP_WRITE); }

static uint64_t done_pair(uint64_t n)
{
    uint64_t bg = __atomic_load_n(&ctl->count, __ATOMIC_ACQUIRE) - bg_count0;
    __atomic_store_n(&ctl->op, VFB_OP_IDLE, __ATOMIC_RELEASE);
    if (n >= VFB_ITERS && bg == 0)
        lonely++;                   /* a two-client row measured one */
    return n ? n + bg : 0;
}

static const struct bench_op vf_ops[] = {
    {"vf_rd1", op_rd, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_wf1", op_wf, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_prd1", op_prd, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_pwf1", op_pwf, VFB_ITERS, 0, prep_alone, NULL},
    {"vf_rd2", op_rd, VFB_ITERS, 0, prep_rd2, done_pair},
    {"vf_wf2", op_wf, VFB_ITERS, 0, prep_wf2, done_pair},
};
static const struct bench_op vfk_ops[] = {
    {"vfk_rd1", op_rd, VFB_ITERS, 0, prep_alone, NULL},
    {"vfk_wf1", op_wf, VFB_ITERS, 0, prep_alone, NULL},
    {"vfk_rd2", op_rd, VFB_ITERS, 0, prep_rd2, done_pair},
    {"vfk_wf2", op_wf, VFB_ITERS, 0, prep_wf2, done_pair},
};
static const struct bench_op vfu_ops[] = {
    {"vfu_rd1", op_rd, VFB_ITERS, 0, prep_alone, NULL},
    {"vfu_wf1", op_wf, VFB_ITERS, 0, prep_alone, NULL},
    {"vfu_rd2", op_rd, VFB_ITERS, 0, prep_rd2, done_pair},
    {"vfu_wf2", op_wf, VFB_ITERS, 0, prep_wf2, done_pair},
};

/* The background process: the leader's current operation, in a loop. */
static _Noreturn void background(void)
{
    base = VFB_REGION;
    rng = 0x9e3779b97f4a7c15ul ^ 0x5bd1e995ul;
    for (;;) {
        unsigned op = __atomic_load_n(&ctl->op, __ATOMIC_ACQUIRE);
        if (op == VFB_OP_STOP)
            break;
        if (op == VFB_OP_IDLE) {
            futex(&ctl->op, FUTEX_WAIT, VFB_OP_IDLE);
            continue;
        }
        do_op(op, 0);
        __atomic_add_fetch(&ctl->count, 1, __ATOMIC_RELEASE);
    }
    ctl->bg_errors = (uint64_t)errors;
    _exit(0);
}

static _Noreturn void quit(int status)
{
    fflush(stdout);
    usleep(300000);             /* the console writes out asynchronously */
    if (iopl(3) == 0)
        outl((unsigned)status, 0xf4);
    reboot(RB_POWER_OFF);
    _exit(status);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    char cmdline[512] = "", poll[16] = "?";
    FILE *f = fopen("/proc/cmdline", "r");
    if (f) {
        if (!fgets(cmdline, sizeof(cmdline), f))
            cmdline[0] = 0;
        fclose(f);
    }
    int quick = strstr(cmdline, "quick=1") != NULL;
    for (int i = 0; i < 200 && fd < 0; i++) {     /* the NVMe probe is asynchronous */
        fd = open("/dev/nvme0n1", O_RDWR | O_DIRECT);
        if (fd < 0)
            usleep(10000);
    }
    if ((f = fopen("/sys/block/nvme0n1/queue/io_poll", "r"))) {
        if (fgets(poll, sizeof(poll), f))
            poll[strcspn(poll, "\n")] = 0;
        fclose(f);
    }
    ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (fd < 0 || ctl == MAP_FAILED || posix_memalign(&buf, 4096, VFB_BYTES) != 0) {
        printf("bench: linux: vf: no /dev/nvme0n1 (errno %d)\n", errno);
        quit(1);
    }
    memset(buf, 0x5a, VFB_BYTES);
    printf("vf: linux nvme driver on the PF, /dev/nvme0n1, O_DIRECT, io_poll=%s\n", poll);
    fflush(stdout);
    pid_t bg = fork();
    if (bg == 0)
        background();
    rng = 0x9e3779b97f4a7c15ul;
    int st = 0;
    bench_suite = "vf";
    st |= bench_main("linux", vf_ops, sizeof(vf_ops) / sizeof(vf_ops[0]), clock_ns, quick);
    bench_suite = "vfk";
    st |= bench_main("linux", vfk_ops, sizeof(vfk_ops) / sizeof(vfk_ops[0]), clock_ns, quick);
    bench_suite = "vfu";
    st |= bench_main("linux", vfu_ops, sizeof(vfu_ops) / sizeof(vfu_ops[0]), clock_ns, quick);
    __atomic_store_n(&ctl->op, VFB_OP_STOP, __ATOMIC_RELEASE);
    futex(&ctl->op, FUTEX_WAKE, 1);
    int ws = 0;
    if (bg < 0 || waitpid(bg, &ws, 0) != bg || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        st = 1, printf("bench: linux: vf: the background process failed\n");
    if (errors || ctl->bg_errors)
        st = 1, printf("bench: linux: vf: %ld requests failed (background: %lu)\n", errors,
                       (unsigned long)ctl->bg_errors);
    if (lonely)
        st = 1, printf("bench: linux: vf: %ld two-client samples ran without the background\n", lonely);
    quit(st);
}
