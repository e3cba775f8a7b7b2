/*
 * Measurement core shared by both sides of `make bench`: the Veneer-native
 * program user/bench.c and the Linux peer's /init (bench/linux/init.c).
 * Both include this header once, define their operations as a table of
 * struct bench_op (same names on both sides) and call bench_main().
 *
 * The guest only measures and prints raw numbers; the host does the
 * arithmetic (bench/report.awk).  Every number comes from rdtsc, which
 * under QEMU -icount shift=0 counts guest instructions and without
 * -icount runs at the host TSC rate; on Linux each sample is bracketed by
 * clock_gettime too.  A sample of an operation runs it n times, right
 * after running the same code path 0 times, so the host can take
 *     per-op = (ticks(n) - ticks(0)) / n
 * and the fixed cost of measuring cancels out whatever it is.
 *
 * Lines printed (one key=value record each, parsed by bench/report.awk):
 *   BENCH os=O begin quick=Q reps=R ops=loop,call,a,b   what follows
 *   BENCH os=O calib=start tsc=T                  host timestamps these two
 *   BENCH os=O calib=end tsc=T                    to learn TSC ticks per ns
 *   BENCH os=O op=N rep=K iters=I ticks0=A ticks=B [ns0=C ns=D]
 *   BENCH os=O end
 * Rows "loop" (one dec/jnz iteration: exactly 2 instructions, the
 * calibration) and "call" (the harness: one indirect call of an empty
 * function, subtracted from every table operation) are always measured.
 *
 * quick=1 (bench-smoke) runs the same code with tiny counts.  The includer
 * provides printf (libveneer or libc) before including.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_REPS        7         /* samples of each operation per boot */
#define BENCH_ITERS       20000     /* default operations per sample */
#define BENCH_LOOP_ITERS  1000000   /* calibration loop: 2,000,000 instructions */
#define BENCH_CALIB_ITERS 300000000 /* marker loop for the wall-clock TSC rate */
#define BENCH_QUICK_DIV   100       /* quick=1 divides every count by this */

struct bench_op {
    const char *name;               /* row of the table; no spaces or commas */
    void (*fn)(void);               /* performs the operation once */
    uint64_t iters;                 /* operations per sample; 0: BENCH_ITERS */
};

/* Runs an operation n times; n may be 0. */
typedef void bench_runner(void (*fn)(void), uint64_t n);

static inline uint64_t bench_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* Exactly 2 instructions per iteration (dec, jnz) plus a fixed 3. */
__attribute__((noinline)) static void bench_spin(void (*fn)(void), uint64_t n)
{
    (void)fn;
    __asm__ volatile("test %0, %0\n\t"
                     "jz 2f\n"
                     "1:\tdec %0\n\t"
                     "jnz 1b\n"
                     "2:"
                     : "+r"(n) : : "cc");
}

/* The harness of every table operation: n indirect calls of fn. */
__attribute__((noinline)) static void bench_repeat(void (*fn)(void), uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        fn();
}

__attribute__((noinline)) static void bench_op_empty(void)
{
    __asm__ volatile("");
}

static uint64_t (*bench_clock_ns)(void);    /* NULL where the OS has no clock */

static uint64_t bench_clock(void)
{
    return bench_clock_ns ? bench_clock_ns() : 0;
}

/* One sample: run fn 0 times, then n times, each bracketed by the clocks;
 * printed unless rep < 0. */
static void bench_sample(const char *os, const char *name, int rep, bench_runner *run,
                         void (*fn)(void), uint64_t n)
{
    /* Read through a volatile so the compiler cannot inline the operation. */
    void (*volatile fnv)(void) = fn;
    uint64_t c0 = bench_clock(), t0 = bench_rdtsc();
    run(fnv, 0);
    uint64_t t1 = bench_rdtsc(), c1 = bench_clock();
    uint64_t c2 = bench_clock(), t2 = bench_rdtsc();
    run(fnv, n);
    uint64_t t3 = bench_rdtsc(), c3 = bench_clock();
    if (rep < 0)
        return;                     /* warm-up pass */
    printf("BENCH os=%s op=%s rep=%d iters=%lu ticks0=%lu ticks=%lu", os, name, rep,
           (unsigned long)n, (unsigned long)(t1 - t0), (unsigned long)(t3 - t2));
    if (bench_clock_ns)
        printf(" ns0=%lu ns=%lu", (unsigned long)(c1 - c0), (unsigned long)(c3 - c2));
    printf("\n");
}

/* Run the whole benchmark for one OS; returns the program's exit status. */
static int bench_main(const char *os, const struct bench_op *ops, size_t nops,
                      uint64_t (*clock_ns)(void), int quick)
{
    int reps = quick ? 2 : BENCH_REPS;
    uint64_t div = quick ? BENCH_QUICK_DIV : 1;
    bench_clock_ns = clock_ns;
    printf("BENCH os=%s begin quick=%d reps=%d ops=loop,call", os, quick, reps);
    for (size_t i = 0; i < nops; i++)
        printf(",%s", ops[i].name);
    printf("\n");

    /* TSC rate for wall-clock: the host timestamps these two lines. */
    printf("BENCH os=%s calib=start tsc=%lu\n", os, (unsigned long)bench_rdtsc());
    bench_spin(NULL, BENCH_CALIB_ITERS / div);
    printf("BENCH os=%s calib=end tsc=%lu\n", os, (unsigned long)bench_rdtsc());

    /* rep -1 warms up: TCG translation and first touches stay out of the samples. */
    for (int rep = -1; rep < reps; rep++) {
        bench_sample(os, "loop", rep, bench_spin, NULL, BENCH_LOOP_ITERS / div);
        bench_sample(os, "call", rep, bench_repeat, bench_op_empty, BENCH_ITERS / div);
        for (size_t i = 0; i < nops; i++) {
            uint64_t n = ops[i].iters ? ops[i].iters : BENCH_ITERS;
            bench_sample(os, ops[i].name, rep, bench_repeat, ops[i].fn, n / div ? n / div : 1);
        }
    }
    printf("BENCH os=%s end\n", os);
    return 0;
}

#endif
