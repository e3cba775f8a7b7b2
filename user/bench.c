/*
 * Veneer side of `make bench` (issue 7): runs the operations of the table
 * below with the measurement core shared with the Linux peer
 * (bench/bench_common.h) and prints BENCH lines on the console for
 * bench/report.awk.  Boot it with init=bench; arg0=1 makes the quick run of
 * `make bench-smoke`.  Veneer has no clock yet, so wall-clock times come
 * from rdtsc, calibrated by the host (docs/performance.md).
 *
 * Adding an operation: one row here and the row of the same name in
 * bench/linux/init.c.
 */
#include <libveneer.h>
#include "../bench/bench_common.h"

/* The null syscall: the bare cost of entering and leaving the kernel. */
static void op_null(void)
{
    vn_null();
}

static const struct bench_op ops[] = {
    {"null", op_null, 0},
};

int main(uint64_t quick, uint64_t unused);
int main(uint64_t quick, uint64_t unused)
{
    (void)unused;
    return bench_main("veneer", ops, sizeof(ops) / sizeof(ops[0]), NULL, quick != 0);
}
