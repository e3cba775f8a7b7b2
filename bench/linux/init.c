/*
 * Linux side of `make bench`: the /init of the peer's initramfs, built with
 * `musl-gcc -static`.  It runs the same operations as user/bench.c with
 * the same measurement core (bench/bench_common.h), adding the wall clock
 * Linux has (clock_gettime(CLOCK_MONOTONIC), through the vDSO), then stops
 * QEMU through isa-debug-exit (status 1, like a passing Veneer run).  The
 * boot parameter quick=1 (an environment variable of init) makes the quick run.
 *
 * Adding an operation: one row here and the row of the same name in
 * user/bench.c.  Each row must do the same work as its Veneer twin: a raw
 * `syscall` instruction with the same register shape, no libc wrapper.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "../bench_common.h"

static inline long raw_syscall0(long n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
    return r;
}

/* The null syscall's peer: getpid does no work beyond entry and exit. */
static void op_null(void)
{
    raw_syscall0(SYS_getpid);
}

static const struct bench_op ops[] = {
    {"null", op_null, 0},
};

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

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    cpu_set_t cpu0;                     /* Veneer runs on CPU 0 only: so do we */
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    sched_setaffinity(0, sizeof(cpu0), &cpu0);
    print_info();
    const char *quick = getenv("quick");
    int status = bench_main("linux", ops, sizeof(ops) / sizeof(ops[0]), clock_ns,
                            quick && *quick == '1');
    fflush(stdout);
    if (iopl(3) == 0)
        outl((unsigned)status, 0xf4);   /* QEMU exits with (status << 1) | 1 */
    reboot(RB_POWER_OFF);
    return status;
}
