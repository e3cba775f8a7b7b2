/*
 * Host unit test of capability tables and the derivation tree
 * (kernel/cap.c) under ASan/UBSan: lookups of forged, stale, out-of-range
 * and wrong-type references; rights only shrink; revoke removes exactly the
 * subtree; delete re-parents; the release hook runs once per capability;
 * a deep derivation chain is revoked without recursion; random operations
 * against tree invariants; every table page is returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <veneer/errors.h>
#include "cap.h"

static int checks, pages_out, releases;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static int page_budget = 1 << 30;

static void *alloc_page(void *owner)
{
    (void)owner;
    if (page_budget-- <= 0)
        return NULL;
    pages_out++;
    return calloc(1, 4096);
}

static void free_page(void *owner, void *p)
{
    (void)owner;
    pages_out--;
    free(p);
}

static void release(struct cap *c)
{
    CHECK(c->type != CAP_NONE);
    CHECK(c->first_child == NULL);
    releases++;
}

static const struct cap_ops ops = {alloc_page, free_page, release};

static struct cap *get(struct captable *t, capref_t r)
{
    struct cap *c = NULL;
    CHECK(cap_lookup(t, r, 0, 0, &c) == 0);
    return c;
}

static void test_lookup_errors(void)
{
    struct captable t;
    CHECK(cap_table_init(&t, NULL) == 0);
    capref_t r;
    CHECK(cap_create_root(&t, CAP_PAGE, CR_READ | CR_MAP, 100, 1, &r) == 0);
    struct cap *c;
    CHECK(cap_lookup(&t, r, CAP_PAGE, CR_READ, &c) == 0 && c->obj == 100);
    CHECK(cap_lookup(&t, r, CAP_ENV, 0, &c) == -E_TYPE);
    CHECK(cap_lookup(&t, r, CAP_PAGE, CR_WRITE, &c) == -E_PERM);
    CHECK(cap_lookup(&t, -1, 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&t, 0x7fffffff, 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&t, CAPREF_MAKE(CAPS_PER_PAGE * 3, 0), 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&t, CAPREF_MAKE(CAPREF_SLOT(r) + 1, 0), 0, 0, &c) == -E_BADCAP); /* empty */
    CHECK(cap_lookup(&t, CAPREF_MAKE(CAPREF_SLOT(r), 5), 0, 0, &c) == -E_BADCAP);     /* forged gen */
    cap_delete(get(&t, r));
    CHECK(cap_lookup(&t, r, 0, 0, &c) == -E_BADCAP);                                  /* stale */
    capref_t r2;
    do      /* fill slots until the deleted one is reused */
        CHECK(cap_create_root(&t, CAP_PAGE, CR_ALL, 7, 1, &r2) == 0);
    while (CAPREF_SLOT(r2) != CAPREF_SLOT(r));
    CHECK(r2 != r);                                         /* new generation */
    CHECK(cap_lookup(&t, r, 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&t, r2, 0, 0, &c) == 0);
    cap_table_destroy(&t);
}

static void test_derive_revoke(void)
{
    struct captable a, b;
    CHECK(cap_table_init(&a, NULL) == 0 && cap_table_init(&b, NULL) == 0);
    capref_t root, d1, d2, d3, g;
    CHECK(cap_create_root(&a, CAP_PAGE, CR_READ | CR_WRITE | CR_MAP | CR_GRANT, 1, 4, &root) == 0);
    CHECK(cap_derive(get(&a, root), &b, CR_READ | CR_MAP | CR_GRANT, &d1) == 0);
    CHECK(cap_derive(get(&b, d1), &b, CR_READ | CR_WRITE, &d2) == -E_PERM);   /* no amplification */
    CHECK(cap_derive(get(&b, d1), &b, CR_READ, &d2) == 0);
    CHECK(cap_derive(get(&b, d1), &a, CR_READ | CR_MAP, &d3) == 0);
    CHECK(cap_derive(get(&b, d2), &a, CR_READ, &g) == 0);
    CHECK(get(&a, g)->obj == 1 && get(&a, g)->count == 4);
    int before = releases;
    cap_revoke(get(&b, d1));                /* d2, d3, g go; d1 stays */
    CHECK(releases == before + 3);
    struct cap *c;
    CHECK(cap_lookup(&b, d2, 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&a, d3, 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&a, g, 0, 0, &c) == -E_BADCAP);
    CHECK(cap_lookup(&b, d1, 0, 0, &c) == 0 && c->first_child == NULL);
    /* Delete re-parents: root -> d1 -> x; delete d1; x is root's child. */
    capref_t x;
    CHECK(cap_derive(get(&b, d1), &b, CR_READ, &x) == 0);
    cap_delete(get(&b, d1));
    CHECK(get(&b, x)->parent == get(&a, root));
    CHECK(get(&a, root)->first_child == get(&b, x));
    /* Deleting a root takes the subtree with it. */
    before = releases;
    cap_delete(get(&a, root));
    CHECK(releases == before + 2);
    CHECK(cap_lookup(&b, x, 0, 0, &c) == -E_BADCAP);
    CHECK(a.used == 0 && b.used == 0);
    cap_table_destroy(&a);
    cap_table_destroy(&b);
}

static void test_deep_chain_and_growth(void)
{
    struct captable t;
    CHECK(cap_table_init(&t, NULL) == 0);
    capref_t r, prev;
    CHECK(cap_create_root(&t, CAP_ENV, CR_ALL, 9, 1, &r) == 0);
    prev = r;
    for (int i = 0; i < 20000; i++) {     /* grows the table across many pages */
        capref_t n;
        CHECK(cap_derive(get(&t, prev), &t, CR_READ, &n) == 0);
        prev = n;
    }
    CHECK(t.used == 20001);
    int before = releases;
    cap_revoke(get(&t, r));
    CHECK(releases == before + 20000 && t.used == 1);
    cap_table_destroy(&t);
}

static void test_table_limits(void)
{
    struct captable t;
    CHECK(cap_table_init(&t, NULL) == 0);
    capref_t r;
    int n = 0, err;
    while ((err = cap_create_root(&t, CAP_PAGE, CR_READ, (uint64_t)n, 1, &r)) == 0)
        n++;
    CHECK(err == -E_NOSPC && (size_t)n == CAPTABLE_MAX);
    cap_table_destroy(&t);
    /* Out of memory while growing: a clean error, nothing half-made. */
    CHECK(cap_table_init(&t, NULL) == 0);
    page_budget = 0;
    n = 0;
    while ((err = cap_create_root(&t, CAP_PAGE, CR_READ, 0, 1, &r)) == 0)
        n++;
    CHECK(err == -E_NOMEM && (size_t)n == CAPS_PER_PAGE);
    page_budget = 1 << 30;
    cap_table_destroy(&t);
}

/* Random operations across three tables, checking tree invariants. */
static void check_tree(struct captable *ts, int nt)
{
    for (int i = 0; i < nt; i++)
        for (uint32_t s = 0; s < ts[i].nslots; s++) {
            struct cap *c = cap_slot(&ts[i], s);
            if (c->type == CAP_NONE)
                continue;
            if (c->parent) {
                CHECK((c->rights & ~c->parent->rights) == 0);
                CHECK(c->parent->type == c->type && c->parent->obj == c->obj);
                int found = 0;
                for (struct cap *k = c->parent->first_child; k; k = k->next_sibling)
                    found += k == c;
                CHECK(found == 1);
            }
            for (struct cap *k = c->first_child; k; k = k->next_sibling)
                CHECK(k->parent == c && (!k->next_sibling || k->next_sibling->prev_sibling == k));
        }
}

static void test_random(void)
{
    struct captable ts[3];
    capref_t refs[3][400];
    int n[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        CHECK(cap_table_init(&ts[i], NULL) == 0);
    srand(7);
    for (int step = 0; step < 20000; step++) {
        int t = rand() % 3, op = rand() % 4;
        struct cap *c;
        if (op == 0 || n[t] == 0) {
            if (n[t] < 400 && cap_create_root(&ts[t], CAP_PAGE, CR_ALL, (uint64_t)step, 1, &refs[t][n[t]]) == 0)
                n[t]++;
        } else {
            int k = rand() % n[t];
            if (cap_lookup(&ts[t], refs[t][k], 0, 0, &c) < 0) {
                refs[t][k] = refs[t][--n[t]];   /* removed by someone's revoke */
                continue;
            }
            if (op == 1) {
                int d = rand() % 3;
                if (n[d] < 400) {
                    unsigned rights = c->rights & (unsigned)rand();
                    if (cap_derive(c, &ts[d], rights, &refs[d][n[d]]) == 0)
                        n[d]++;
                }
            } else if (op == 2) {
                cap_revoke(c);
                CHECK(c->first_child == NULL);
            } else {
                cap_delete(c);
                refs[t][k] = refs[t][--n[t]];
            }
        }
        if (step % 500 == 0)
            check_tree(ts, 3);
    }
    check_tree(ts, 3);
    for (int i = 0; i < 3; i++)
        cap_table_destroy(&ts[i]);
}

int main(void)
{
    cap_init(&ops);
    test_lookup_errors();
    test_derive_revoke();
    test_deep_chain_and_growth();
    test_table_limits();
    test_random();
    CHECK(pages_out == 0);
    printf("cap: %d checks passed, %d releases\n", checks, releases);
    return 0;
}
