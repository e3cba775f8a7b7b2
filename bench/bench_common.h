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
 * clock_gettime too.  A sample of an operation calls it n times, right
 * after running the same code path 0 times, so the host can take
 *     per-op = (ticks(n) - ticks(0)) / iters     (iters: n * per, below)
 * and the fixed cost of measuring cancels out whatever it is.
 *
 * An operation may need state that must not be timed (pages protected
 * again, a partner process started): its prep hook runs before each timed
 * run and its done hook after, both outside the rdtsc brackets.  One call
 * of fn may also stand for several operations of its row (per: a
 * ping-pong round trip is two context switches), and done may report how
 * many really happened (a yield that found nobody to switch to).
 *
 * Lines printed (one key=value record each, parsed by bench/report.awk):
 *   BENCH os=O begin quick=Q reps=R ops=loop,call,a,b   what follows
 *                                     [suite=S: a second program's rows]
 *   BENCH os=O calib=start tsc=T                  host timestamps these two
 *   BENCH os=O calib=end tsc=T                    to learn TSC ticks per ns
 *   BENCH os=O op=N rep=K iters=I calls=C ticks0=A ticks=B [ns0=C ns=D]
 *   BENCH os=O end
 * iters counts operations (the row's unit), calls the calls of fn.
 * Rows "loop" (one dec/jnz iteration: exactly 2 instructions, the
 * calibration) and "call" (the harness: one indirect call of an empty
 * function, subtracted from every table operation) are always measured.
 *
 * quick=1 (bench-smoke) runs the same code with tiny counts.  The includer
 * provides printf and snprintf (libveneer or libc) before including.
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

/* Counts of the rows beyond null, the same on both sides (calls of fn per
 * sample; quick=1 divides them too, down to 1). */
#define BENCH_PAGE        4096
#define BENCH_BLOCK       100       /* pages of prot100, unprot100, appel1, appel2 */
#define BENCH_PAGE_ITERS  2000      /* trap, prot1, appel1, appel2, touch */
#define BENCH_BLOCK_ITERS 50        /* prot100, unprot100: 5000 pages */
#define BENCH_PAGES       (BENCH_BLOCK * BENCH_BLOCK_ITERS)   /* the region they work on */
#define BENCH_SWITCH_ITERS 5000     /* ctxsw, yield: round trips */
#define BENCH_SPAWN_ITERS 100       /* spawn */
#define BENCH_DEV_ITERS   5000      /* irq, dma (Veneer only) */
#define BENCH_NET_ITERS   200       /* demux1, demux10, demux100: frames received (Veneer only) */
#define BENCH_BLK_ITERS   200       /* blk_read, blk_wflush: 4 KiB requests to the NVMe disk */
#define BENCH_BLK_BYTES   4096
#define BENCH_QUICK_PAGES (2 * BENCH_BLOCK)  /* the region in quick runs */
_Static_assert(BENCH_PAGE_ITERS <= BENCH_PAGES, "the region holds a sample's pages");

struct bench_op {
    const char *name;               /* row of the table; no spaces or commas */
    void (*fn)(void);               /* performs `per` operations */
    uint64_t iters;                 /* calls of fn per sample; 0: BENCH_ITERS */
    uint64_t per;                   /* operations per call of fn; 0: 1 */
    void (*prep)(uint64_t n);       /* before a timed run of n calls (n may be 0); or NULL */
    uint64_t (*done)(uint64_t n);   /* after it: the operations done if not n * per
                                     * (0: as planned); or NULL */
};

/* A done hook may set this to the ticks to report for the run it ends,
 * when what its row measures is counted elsewhere (the kernel's own
 * counter); the run of 0 then counts as none. */
static uint64_t bench_ticks_override;

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
static const char *bench_suite;     /* set by a program whose rows sit beside the
                                     * native ones (bench/posix/pbench.c: "posix") */

static uint64_t bench_clock(void)
{
    return bench_clock_ns ? bench_clock_ns() : 0;
}

/* One sample: run op->fn 0 times, then n times, each bracketed by the
 * clocks and by the op's untimed hooks; printed unless rep < 0. */
static void bench_sample(const char *os, const struct bench_op *op, int rep, bench_runner *run,
                         uint64_t n)
{
    /* Read through a volatile so the compiler cannot inline the operation. */
    void (*volatile fnv)(void) = op->fn;
    if (op->prep)
        op->prep(0);
    /* The run of 0, the harness's own cost: the least of three, so that a
     * tick or another environment's wake-up in one does not count. */
    uint64_t c0 = 0, t0 = 0, t1 = UINT64_MAX, c1 = 0;
    for (int k = 0; k < 3; k++) {
        uint64_t ck = bench_clock(), tk = bench_rdtsc();
        run(fnv, 0);
        uint64_t tk1 = bench_rdtsc(), ck1 = bench_clock();
        if (tk1 - tk < t1 - t0)
            c0 = ck, t0 = tk, t1 = tk1, c1 = ck1;
    }
    if (op->done)
        op->done(0);
    if (op->prep)
        op->prep(n);
    uint64_t c2 = bench_clock(), t2 = bench_rdtsc();
    run(fnv, n);
    uint64_t t3 = bench_rdtsc(), c3 = bench_clock();
    bench_ticks_override = 0;
    uint64_t iters = op->done ? op->done(n) : 0;
    if (!iters)
        iters = n * (op->per ? op->per : 1);
    if (bench_ticks_override) {
        t3 = t2 + bench_ticks_override;
        t1 = t0;
    }
    if (rep < 0)
        return;                     /* warm-up pass */
    printf("BENCH os=%s op=%s rep=%d iters=%lu calls=%lu ticks0=%lu ticks=%lu", os, op->name, rep,
           (unsigned long)iters, (unsigned long)n, (unsigned long)(t1 - t0), (unsigned long)(t3 - t2));
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
    /* One write for the whole line, newline included: another
     * environment's output (netd's address line) must not land inside it,
     * and a libc flushing its buffer and the new text together (writev)
     * would make two writes of it. */
    char line[512];
    size_t k = (size_t)snprintf(line, sizeof(line), "BENCH os=%s begin quick=%d reps=%d ops=loop,call", os, quick, reps);
    for (size_t i = 0; i < nops && k < sizeof(line); i++)
        k += (size_t)snprintf(line + k, sizeof(line) - k, ",%s", ops[i].name);
    if (bench_suite && k < sizeof(line))
        k += (size_t)snprintf(line + k, sizeof(line) - k, " suite=%s", bench_suite);
    if (k < sizeof(line))
        snprintf(line + k, sizeof(line) - k, "\n");
    printf("%s", line);

    /* TSC rate for wall-clock: the host timestamps these two lines. */
    printf("BENCH os=%s calib=start tsc=%lu\n", os, (unsigned long)bench_rdtsc());
    bench_spin(NULL, BENCH_CALIB_ITERS / div);
    printf("BENCH os=%s calib=end tsc=%lu\n", os, (unsigned long)bench_rdtsc());

    /* rep -1 warms up: TCG translation and first touches stay out of the samples. */
    static const struct bench_op loop = {"loop", NULL, 0, 0, NULL, NULL};
    static const struct bench_op call = {"call", bench_op_empty, 0, 0, NULL, NULL};
    for (int rep = -1; rep < reps; rep++) {
        bench_sample(os, &loop, rep, bench_spin, BENCH_LOOP_ITERS / div);
        bench_sample(os, &call, rep, bench_repeat, BENCH_ITERS / div);
        for (size_t i = 0; i < nops; i++) {
            uint64_t n = ops[i].iters ? ops[i].iters : BENCH_ITERS;
            bench_sample(os, &ops[i], rep, bench_repeat, n / div ? n / div : 1);
        }
    }
    printf("BENCH os=%s end\n", os);
    return 0;
}

#endif
