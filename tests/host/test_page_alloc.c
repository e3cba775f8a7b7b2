/*
 * Host unit test of the page pool (kernel/page_alloc.c), built with
 * AddressSanitizer and UBSan: random alloc/free sequences checked against a
 * shadow model; never a page twice; everything returned; named and
 * contiguous allocations; double frees and foreign frames refused.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <veneer/errors.h>
#include "page_alloc.h"

#define BASE 256
#define NPAGES 1000             /* deliberately not a multiple of 64 */

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static void test_exhaust_and_return(void)
{
    uint64_t bm[16];
    struct page_pool p;
    pool_init(&p, bm, BASE, NPAGES);
    CHECK(p.nfree == 0);
    uint64_t x;
    CHECK(pool_alloc(&p, &x) == -E_NOMEM);
    CHECK(pool_add_free(&p, 0, BASE + NPAGES + 50) == NPAGES);  /* clipped to the pool */
    CHECK(pool_add_free(&p, BASE, 10) == 0);                    /* already free */
    static char taken[BASE + NPAGES];
    for (int i = 0; i < NPAGES; i++) {
        uint64_t f;
        CHECK(pool_alloc(&p, &f) == 0);
        CHECK(f >= BASE && f < BASE + NPAGES);
        CHECK(!taken[f]);
        taken[f] = 1;
    }
    uint64_t f;
    CHECK(pool_alloc(&p, &f) == -E_NOMEM);
    CHECK(p.nfree == 0);
    for (int i = BASE; i < BASE + NPAGES; i++)
        CHECK(pool_free(&p, (uint64_t)i) == 0);
    CHECK(p.nfree == NPAGES);
}

static void test_errors(void)
{
    uint64_t bm[16];
    struct page_pool p;
    pool_init(&p, bm, BASE, NPAGES);
    pool_add_free(&p, BASE, NPAGES);
    CHECK(pool_free(&p, BASE) == -E_INVAL);             /* double free */
    CHECK(pool_free(&p, BASE - 1) == -E_RANGE);
    CHECK(pool_free(&p, BASE + NPAGES) == -E_RANGE);
    CHECK(pool_alloc_at(&p, BASE - 1) == -E_RANGE);
    CHECK(pool_alloc_at(&p, BASE + 5) == 0);
    CHECK(pool_alloc_at(&p, BASE + 5) == -E_BUSY);
    CHECK(!pool_is_free(&p, BASE + 5));
    CHECK(pool_free(&p, BASE + 5) == 0);
    CHECK(pool_is_free(&p, BASE + 5));
    uint64_t f;
    CHECK(pool_alloc_contig(&p, 0, 1, &f) == -E_INVAL);
    CHECK(pool_alloc_contig(&p, 1, 0, &f) == -E_INVAL);
    CHECK(pool_alloc_contig(&p, NPAGES + 1, 1, &f) == -E_NOMEM);
}

static void test_contig(void)
{
    uint64_t bm[16];
    struct page_pool p;
    pool_init(&p, bm, BASE, NPAGES);
    pool_add_free(&p, BASE, NPAGES);
    /* Punch holes so runs are short, then ask for an aligned run of 16. */
    for (int i = BASE; i < BASE + NPAGES; i += 10)
        CHECK(pool_alloc_at(&p, (uint64_t)i) == 0);
    uint64_t f;
    CHECK(pool_alloc_contig(&p, 16, 16, &f) == -E_NOMEM);  /* every run < 10 */
    CHECK(pool_alloc_contig(&p, 9, 1, &f) == 0);
    for (uint64_t i = f; i < f + 9; i++)
        CHECK(!pool_is_free(&p, i));
    CHECK(pool_alloc_contig(&p, 4, 4, &f) == 0);
    CHECK(f % 4 == 0);
}

static void test_random(void)
{
    uint64_t bm[16];
    struct page_pool p;
    pool_init(&p, bm, BASE, NPAGES);
    pool_add_free(&p, BASE, NPAGES);
    static char shadow[BASE + NPAGES];  /* 1 = allocated */
    uint64_t held[NPAGES];
    int nheld = 0;
    srand(12345);
    for (int step = 0; step < 200000; step++) {
        int op = rand() % 3;
        if (op == 0 || nheld == 0) {
            uint64_t f;
            int r = pool_alloc(&p, &f);
            if (nheld == NPAGES) {
                CHECK(r == -E_NOMEM);
                continue;
            }
            CHECK(r == 0 && !shadow[f]);
            shadow[f] = 1;
            held[nheld++] = f;
        } else if (op == 1) {
            int k = rand() % nheld;
            CHECK(pool_free(&p, held[k]) == 0);
            shadow[held[k]] = 0;
            held[k] = held[--nheld];
        } else {
            uint64_t f = BASE + (uint64_t)(rand() % NPAGES);
            int r = pool_alloc_at(&p, f);
            CHECK(r == (shadow[f] ? -E_BUSY : 0));
            if (r == 0) {
                shadow[f] = 1;
                held[nheld++] = f;
            }
        }
        CHECK(p.nfree == (uint64_t)(NPAGES - nheld));
    }
    while (nheld)
        CHECK(pool_free(&p, held[--nheld]) == 0);
    CHECK(p.nfree == NPAGES);
}

int main(void)
{
    test_exhaust_and_return();
    test_errors();
    test_contig();
    test_random();
    printf("page_alloc: %d checks passed\n", checks);
    return 0;
}
