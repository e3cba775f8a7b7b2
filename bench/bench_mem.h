/*
 * The memory operations of `make bench`, shared by both sides so that a
 * row does the same work on each: the Appel-Li set (trap, prot1, prot100,
 * unprot100, appel1, appel2) and touch.  They work on a region of
 * bench_region_pages pages that the includer has mapped read-write and
 * touched, on the includer's protection primitive and fault handler:
 *
 *   static void bench_protect(uint64_t va, uint64_t npages, int writable);
 *       one system call: Veneer's page_protect, Linux's mprotect
 *   static uint64_t bench_area_new(uint64_t npages);
 *   static void bench_area_free(uint64_t va, uint64_t npages);
 *       address space with nothing behind it yet, for touch
 *
 * The includer's page-fault handler (Veneer's upcall, Linux's SIGSEGV
 * handler) calls bench_prot_fault(addr) first.  Every prep hook puts the
 * region into the state its operation starts from, untimed; an operation
 * never finds the work already done (a protect always changes a page).
 * Include after bench_common.h.
 */
#ifndef BENCH_MEM_H
#define BENCH_MEM_H

static void bench_protect(uint64_t va, uint64_t npages, int writable);
static uint64_t bench_area_new(uint64_t npages);
static void bench_area_free(uint64_t va, uint64_t npages);

static uint64_t bench_region;           /* set up by the includer */
static uint64_t bench_region_pages;
static uint64_t bench_area, bench_area_pages;   /* touch's fresh pages */
static volatile uint64_t bench_k;       /* the next page or block */
static uint64_t bench_prev;             /* appel1: the one unprotected page */
static enum { FAULT_NONE, FAULT_UNPROTECT, FAULT_APPEL1 } bench_fault_mode;

static inline uint64_t bench_pg(uint64_t i)
{
    return bench_region + i * BENCH_PAGE;
}

static inline void bench_write(uint64_t va)
{
    *(volatile uint64_t *)va = va;
}

/* A protection fault in the region, fixed the way the running operation
 * wants; returns 0 if the fault is not the benchmark's. */
static int bench_prot_fault(uint64_t addr)
{
    if (addr - bench_region >= bench_region_pages * BENCH_PAGE)
        return 0;
    uint64_t page = addr & ~(uint64_t)(BENCH_PAGE - 1);
    switch (bench_fault_mode) {
    case FAULT_UNPROTECT:               /* trap, appel2 */
        bench_protect(page, 1, 1);
        return 1;
    case FAULT_APPEL1:                  /* protect the last page, free this one */
        bench_protect(bench_prev, 1, 0);
        bench_protect(page, 1, 1);
        bench_prev = page;
        return 1;
    default:
        return 0;
    }
}

/* The region must hold what a sample needs; the counts are chosen so. */
static int bench_fits(uint64_t pages)
{
    if (pages <= bench_region_pages)
        return 1;
    printf("bench: a sample needs %lu pages, the region has %lu\n", (unsigned long)pages,
           (unsigned long)bench_region_pages);
    return 0;
}

/* trap: write to a read-only page; the handler makes it writable. */
static void trap_prep(uint64_t n)
{
    if (n && bench_fits(n))
        bench_protect(bench_region, n, 0);
    bench_fault_mode = FAULT_UNPROTECT;
    bench_k = 0;
}

static void op_trap(void)
{
    bench_write(bench_pg(bench_k++));
}

/* prot1: make one writable page read-only. */
static void prot1_prep(uint64_t n)
{
    if (n && bench_fits(n))
        bench_protect(bench_region, n, 1);
    bench_k = 0;
}

static void op_prot1(void)
{
    bench_protect(bench_pg(bench_k++), 1, 0);
}

/* prot100, unprot100: one call on BENCH_BLOCK pages. */
static void prot100_prep(uint64_t n)
{
    if (n && bench_fits(n * BENCH_BLOCK))
        bench_protect(bench_region, n * BENCH_BLOCK, 1);
    bench_k = 0;
}

static void op_prot100(void)
{
    bench_protect(bench_pg(bench_k++ * BENCH_BLOCK), BENCH_BLOCK, 0);
}

static void unprot100_prep(uint64_t n)
{
    if (n && bench_fits(n * BENCH_BLOCK))
        bench_protect(bench_region, n * BENCH_BLOCK, 0);
    bench_k = 0;
}

static void op_unprot100(void)
{
    bench_protect(bench_pg(bench_k++ * BENCH_BLOCK), BENCH_BLOCK, 1);
}

/* appel1 (Appel and Li's PROT1 + TRAP + UNPROT): of BENCH_BLOCK pages all
 * but one are read-only; write to the next one; the handler protects the
 * page it freed last time and unprotects this one. */
static void appel1_prep(uint64_t n)
{
    (void)n;
    bench_protect(bench_region, BENCH_BLOCK, 0);
    bench_prev = bench_pg(BENCH_BLOCK - 1);
    bench_protect(bench_prev, 1, 1);
    bench_fault_mode = FAULT_APPEL1;
    bench_k = 0;
}

static void op_appel1(void)
{
    bench_write(bench_pg(bench_k++ % BENCH_BLOCK));
}

/* appel2 (PROTN + TRAP + UNPROT), per page: every BENCH_BLOCK pages,
 * protect them all in one call; write to each; the handler unprotects it. */
static void appel2_prep(uint64_t n)
{
    (void)n;
    bench_protect(bench_region, BENCH_BLOCK, 1);
    bench_fault_mode = FAULT_UNPROTECT;
    bench_k = 0;
}

static void op_appel2(void)
{
    uint64_t i = bench_k++ % BENCH_BLOCK;
    if (i == 0)
        bench_protect(bench_region, BENCH_BLOCK, 0);
    bench_write(bench_pg(i));
}

/* touch: the first write to a page of address space nothing backs yet. */
static void touch_prep(uint64_t n)
{
    bench_area = n ? bench_area_new(n) : 0;
    bench_area_pages = n;
    bench_fault_mode = FAULT_NONE;
    bench_k = 0;
}

static uint64_t touch_done(uint64_t n)
{
    if (n)
        bench_area_free(bench_area, n);
    bench_area = bench_area_pages = 0;
    return 0;
}

static void op_touch(void)
{
    bench_write(bench_area + bench_k++ * BENCH_PAGE);
}

/* The rows, in table order, for the includer's ops[]. */
#define BENCH_MEM_OPS                                                                  \
    {"trap", op_trap, BENCH_PAGE_ITERS, 0, trap_prep, NULL},                          \
    {"prot1", op_prot1, BENCH_PAGE_ITERS, 0, prot1_prep, NULL},                       \
    {"prot100", op_prot100, BENCH_BLOCK_ITERS, 0, prot100_prep, NULL},                \
    {"unprot100", op_unprot100, BENCH_BLOCK_ITERS, 0, unprot100_prep, NULL},          \
    {"appel1", op_appel1, BENCH_PAGE_ITERS, 0, appel1_prep, NULL},                    \
    {"appel2", op_appel2, BENCH_PAGE_ITERS, 0, appel2_prep, NULL},                    \
    {"touch", op_touch, BENCH_PAGE_ITERS, 0, touch_prep, touch_done}

#endif
