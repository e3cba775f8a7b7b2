/*
 * Host unit test of packet filters (drivers/pf/pf_verify.c, drivers/pf/pf_classify.c)
 * under ASan/UBSan: the verifier refuses every departure from the shape
 * and accepts typical filters; on random filter sets and random frames
 * (biased to match) the merged classifier agrees with running every filter
 * through pf_run and applying the prio and shared rules, and overlap checks
 * agree with building a frame that both programs accept, bit by bit; the
 * capacities refuse cleanly; the work per frame does not grow with the
 * number of filters testing the same fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <veneer/errors.h>
#include "pf/pf.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

/* ---- building programs */

struct prog {
    struct vn_pf_insn i[VN_PF_MAX_INSNS + 8];
    unsigned n, start;          /* start: the open term's first insn */
};

static void p_cmp(struct prog *p, unsigned size, unsigned off, uint32_t mask, uint32_t val)
{
    p->i[p->n++] = (struct vn_pf_insn){.op = VN_PF_CMP, .size = size, .off = off, .mask = mask, .val = val};
}

static void p_accept(struct prog *p)
{
    for (unsigned j = p->start; j < p->n; j++)
        p->i[j].fail = p->n + 1;
    p->i[p->n++] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    p->start = p->n;
}

static void p_end(struct prog *p)
{
    p->i[p->n++] = (struct vn_pf_insn){.op = VN_PF_REJECT};
}

static int verify(const struct prog *p)
{
    return pf_verify(p->i, p->n);
}

/* Set a frame's bits so one CMP holds. */
static void put(uint8_t *frame, unsigned size, unsigned off, uint32_t mask, uint32_t val)
{
    for (unsigned k = 0; k < size; k++) {
        unsigned sh = 8 * (size - 1 - k);
        uint8_t m = mask >> sh, v = val >> sh;
        frame[off + k] = (frame[off + k] & ~m) | v;
    }
}

/* ---- the verifier */

static struct prog tcp80(void)
{
    struct prog p = {0};
    p_cmp(&p, 2, 12, 0xffff, 0x0800);
    p_cmp(&p, 1, 14, 0xf0, 0x40);
    p_cmp(&p, 1, 23, 0xff, 6);
    p_cmp(&p, 2, 36, 0xffff, 80);
    p_accept(&p);
    p_end(&p);
    return p;
}

static void test_verify(void)
{
    struct prog p, q = tcp80();
    CHECK(verify(&q) == 0);

    /* typical filters */
    p = (struct prog){0};                               /* ARP */
    p_cmp(&p, 2, 12, 0xffff, 0x0806);
    p_accept(&p);
    p_end(&p);
    CHECK(verify(&p) == 0);
    uint8_t f[VN_PF_MAX_OFF] = {0};
    put(f, 2, 12, 0xffff, 0x0806);
    CHECK(pf_run(p.i, p.n, f) && !pf_run(q.i, q.n, f));
    p = (struct prog){0};                               /* DNS to 10.0.2.15 */
    p_cmp(&p, 2, 12, 0xffff, 0x0800);
    p_cmp(&p, 1, 23, 0xff, 17);
    p_cmp(&p, 4, 30, 0xffffffff, 0x0a00020f);
    p_cmp(&p, 2, 36, 0xffff, 53);
    p_accept(&p);
    p_end(&p);
    CHECK(verify(&p) == 0);
    memset(f, 0, sizeof f);
    put(f, 2, 12, 0xffff, 0x0800);
    put(f, 1, 23, 0xff, 17);
    put(f, 4, 30, 0xffffffff, 0x0a00020f);
    CHECK(!pf_run(p.i, p.n, f));
    put(f, 2, 36, 0xffff, 53);
    CHECK(pf_run(p.i, p.n, f));
    p = (struct prog){0};                               /* ARP | IPv4 broadcast */
    p_cmp(&p, 2, 12, 0xffff, 0x0806);
    p_accept(&p);
    p_cmp(&p, 2, 12, 0xffff, 0x0800);
    p_cmp(&p, 4, 30, 0xffffff00, 0x0a000200);
    p_cmp(&p, 1, 33, 0xff, 0xff);
    p_accept(&p);
    p_end(&p);
    CHECK(verify(&p) == 0);
    put(f, 1, 33, 0xff, 0xff);
    CHECK(pf_run(p.i, p.n, f));
    put(f, 2, 12, 0xffff, 0x0806);
    CHECK(pf_run(p.i, p.n, f));
    put(f, 2, 12, 0xffff, 0x0805);
    CHECK(!pf_run(p.i, p.n, f));
    p = (struct prog){0};                               /* the longest: 30 CMPs */
    for (unsigned k = 0; k < 30; k++)
        p_cmp(&p, 4, 4 * k, 0xffffffff, k);
    p_accept(&p);
    p_end(&p);
    CHECK(p.n == VN_PF_MAX_INSNS && verify(&p) == 0);
    p = (struct prog){0};                               /* the most terms: 15 */
    for (unsigned k = 0; k < 15; k++) {
        p_cmp(&p, 1, 127, 0xff, k);
        p_accept(&p);
    }
    p_end(&p);
    CHECK(verify(&p) == 0);
    p.i[p.n - 1] = (struct vn_pf_insn){.op = VN_PF_CMP, .size = 1, .mask = 1, .fail = p.n + 1};
    p_accept(&p);
    p_end(&p);
    CHECK(p.n == VN_PF_MAX_INSNS + 1 && verify(&p) == -E_INVAL);     /* too long */

    /* empty, or no term */
    CHECK(pf_verify(q.i, 0) == -E_INVAL);
    CHECK(pf_verify(NULL, 3) == -E_INVAL);
    p = (struct prog){0};
    p_end(&p);
    CHECK(verify(&p) == -E_INVAL);
    p = (struct prog){0};                               /* match everything */
    p_accept(&p);
    p_end(&p);
    CHECK(verify(&p) == -E_INVAL);
    p = tcp80();                                        /* a second, empty term */
    p.n--;
    p_accept(&p);
    p_end(&p);
    CHECK(verify(&p) == -E_INVAL);

    /* loads out of bounds, bad size, mask, val, pad */
    static const struct { uint8_t size; uint16_t off; uint32_t mask, val; int ok; } ops[] = {
        {1, 127, 0xff, 0, 1}, {1, 128, 0xff, 0, 0}, {2, 126, 0xffff, 0, 1}, {2, 127, 0xffff, 0, 0},
        {4, 124, 0xffffffff, 0, 1}, {4, 125, 1, 0, 0}, {4, 0xffff, 1, 0, 0}, {0, 0, 1, 0, 0},
        {3, 0, 1, 0, 0}, {8, 0, 1, 0, 0}, {255, 0, 1, 0, 0}, {1, 0, 0, 0, 0}, {1, 0, 0x100, 0, 0},
        {1, 0, 0x1ff, 0, 0}, {2, 0, 0x10000, 0, 0}, {2, 0, 0xffff, 0x8000, 1}, {4, 0, 0x80000000, 0x80000000, 1},
        {1, 0, 0x0f, 0x10, 0}, {4, 0, 0xffff0000, 0xffff0001, 0}, {2, 0, 0x00ff, 0x0100, 0},
    };
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        p = tcp80();
        p.i[1].size = ops[k].size;
        p.i[1].off = ops[k].off;
        p.i[1].mask = ops[k].mask;
        p.i[1].val = ops[k].val;
        CHECK(verify(&p) == (ops[k].ok ? 0 : -E_INVAL));
    }
    p = tcp80();
    p.i[2].pad = 1;
    CHECK(verify(&p) == -E_INVAL);
    for (unsigned op = 0; op < 256; op++) {             /* unknown ops, misplaced REJECT */
        p = tcp80();
        p.i[1].op = op;
        CHECK(verify(&p) == (op == VN_PF_CMP ? 0 : -E_INVAL));
    }
    p = tcp80();
    p.i[p.n - 2].val = 1;                               /* ACCEPT, REJECT: no operands */
    CHECK(verify(&p) == -E_INVAL);
    p = tcp80();
    p.i[p.n - 1].off = 4;
    CHECK(verify(&p) == -E_INVAL);

    /* jumps: backward, to itself, inside the term, to the ACCEPT, past the
     * next term, past the end */
    p = (struct prog){0};
    p_cmp(&p, 2, 12, 0xffff, 0x0806);
    p_accept(&p);
    p_cmp(&p, 2, 12, 0xffff, 0x0800);
    p_cmp(&p, 1, 23, 0xff, 6);
    p_accept(&p);
    p_cmp(&p, 1, 23, 0xff, 17);
    p_accept(&p);
    p_end(&p);                                          /* 0 1 | 2 3 4 | 5 6 | 7 */
    CHECK(verify(&p) == 0);
    static const struct { unsigned at, fail; } jumps[] = {
        {2, 0}, {3, 1}, {3, 2}, {2, 2}, {3, 3}, {0, 0}, {2, 3}, {2, 4}, {0, 1}, {0, 5},
        {0, 7}, {3, 7}, {5, 8}, {5, 0xffff}, {5, 6}, {5, 5}, {5, 4},
    };
    for (unsigned k = 0; k < sizeof jumps / sizeof jumps[0]; k++) {
        struct prog r = p;
        r.i[jumps[k].at].fail = jumps[k].fail;
        CHECK(verify(&r) == -E_INVAL);
    }

    /* no final REJECT: ends in an ACCEPT or a CMP, or REJECT in the middle */
    p = tcp80();
    p.n--;
    CHECK(verify(&p) == -E_INVAL);
    p = tcp80();
    p.i[p.n - 2] = p.i[p.n - 1];
    p.n--;
    CHECK(verify(&p) == -E_INVAL);                      /* CMP CMP CMP CMP REJECT */
    p = tcp80();
    p.i[p.n - 1] = p.i[0];
    CHECK(verify(&p) == -E_INVAL);
    p = tcp80();
    p.i[p.n - 2].op = VN_PF_REJECT;
    p.n--;
    p_accept(&p);
    p_end(&p);
    CHECK(verify(&p) == -E_INVAL);
}

/* ---- the model: what classify and conflicts must agree with */

struct model {
    struct prog prog;
    unsigned flags, prio;
    unsigned long order;        /* when it was added */
    struct pf_filter *f;
    int live;
};

#define NMODEL 400
static struct model model[NMODEL];
static unsigned long order;
static struct pf_set set;

static unsigned rnd(unsigned n)
{
    return (unsigned)rand() % n;
}

static const struct { uint8_t size, off; uint32_t masks[3]; } fields[] = {
    {2, 12, {0xffff, 0xffff, 0xff00}},              /* ethertype */
    {1, 14, {0xf0, 0x0f, 0xff}},                    /* IP version, header length */
    {1, 23, {0xff, 0xff, 0x0f}},                    /* IP protocol */
    {4, 30, {0xffffffff, 0xffffff00, 0x000000ff}},  /* destination IP */
    {2, 36, {0xffff, 0xffff, 0x00ff}},              /* destination port */
    {4, 34, {0xffffffff, 0x0000ffff, 0xffff0000}},  /* both ports, overlapping the above */
    {1, 37, {0x0f, 0xf0, 0xff}},
    {2, 126, {0xffff, 0x0ff0, 0xff00}},             /* at the end of the window */
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static uint32_t rnd_val(uint32_t mask)
{
    static const uint32_t vals[] = {0, 0x08000806, 0x06060606, 0x11111111, 0xffffffff, 0x0a00020f};
    return (rnd(8) < 6 ? vals[rnd(6)] : (uint32_t)rand()) & mask;
}

static struct prog rnd_prog(void)
{
    struct prog p = {0};
    unsigned terms = 1 + rnd(rnd(4) ? 2 : 4);
    for (unsigned t = 0; t < terms; t++) {
        unsigned cmps = 1 + rnd(4);
        for (unsigned c = 0; c < cmps; c++) {
            unsigned k = rnd(NFIELDS);
            uint32_t m = fields[k].masks[rnd(3)];
            p_cmp(&p, fields[k].size, fields[k].off, m, rnd_val(m));
        }
        p_accept(&p);
    }
    p_end(&p);
    CHECK(verify(&p) == 0);
    return p;
}

/* The terms of a program: [start[t], end[t]) are CMPs. */
static unsigned terms_of(const struct prog *p, unsigned *start, unsigned *end)
{
    unsigned t = 0, s = 0;
    for (unsigned i = 0; i < p->n; i++)
        if (p->i[i].op == VN_PF_ACCEPT) {
            start[t] = s, end[t++] = i;
            s = i + 1;
        }
    return t;
}

/* Impose a term's CMPs on a frame, bit by bit, failing on a bit already
 * fixed the other way. */
static int impose(uint8_t *frame, uint8_t *fixed, const struct prog *p, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++) {
        const struct vn_pf_insn *q = &p->i[i];
        for (unsigned k = 0; k < q->size; k++) {
            unsigned sh = 8 * (q->size - 1 - k), o = q->off + k;
            uint8_t m = q->mask >> sh, v = q->val >> sh;
            if ((frame[o] ^ v) & m & fixed[o])
                return 0;
            frame[o] = (frame[o] & ~m) | v;
            fixed[o] |= m;
        }
    }
    return 1;
}

static void rnd_frame(uint8_t *frame)
{
    for (unsigned o = 0; o < VN_PF_MAX_OFF; o++)
        frame[o] = rnd(4) ? (uint8_t)rnd_val(0xff) : (uint8_t)rand();
}

/* Whether some frame satisfies both: build one for each pair of terms on a
 * random background and check it with pf_run; where none can be built,
 * random frames satisfying one of them must not satisfy both. */
static int brute_overlap(const struct prog *a, const struct prog *b)
{
    unsigned as[16], ae[16], bs[16], be[16];
    unsigned na = terms_of(a, as, ae), nb = terms_of(b, bs, be);
    for (unsigned i = 0; i < na; i++)
        for (unsigned j = 0; j < nb; j++) {
            uint8_t frame[VN_PF_MAX_OFF], fixed[VN_PF_MAX_OFF] = {0};
            rnd_frame(frame);
            if (impose(frame, fixed, a, as[i], ae[i]) && impose(frame, fixed, b, bs[j], be[j])) {
                CHECK(pf_run(a->i, a->n, frame) && pf_run(b->i, b->n, frame));
                return 1;
            }
        }
    for (unsigned k = 0; k < 4; k++) {
        uint8_t frame[VN_PF_MAX_OFF], fixed[VN_PF_MAX_OFF] = {0};
        rnd_frame(frame);
        impose(frame, fixed, a, as[k % na], ae[k % na]);
        CHECK(!(pf_run(a->i, a->n, frame) && pf_run(b->i, b->n, frame)));
    }
    return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

static void check_conflicts(const struct prog *p, unsigned flags)
{
    void *got[PF_SET_MAX + 1], *want[PF_SET_MAX + 1];
    unsigned ng = pf_set_conflicts(&set, p->i, p->n, flags, got, PF_SET_MAX + 1), nw = 0;
    for (unsigned i = 0; i < NMODEL; i++)
        if (model[i].live && !(model[i].flags & flags & VN_PF_SHARED) && brute_overlap(p, &model[i].prog))
            want[nw++] = &model[i];
    CHECK(ng == nw);
    qsort(got, ng, sizeof got[0], cmp_ptr);
    qsort(want, nw, sizeof want[0], cmp_ptr);
    CHECK(memcmp(got, want, nw * sizeof want[0]) == 0);
    if (nw > 1)
        CHECK(pf_set_conflicts(&set, p->i, p->n, flags, got, 1) == 1);
}

/* A frame: random, or built to satisfy one or two live filters' terms. */
static void biased_frame(uint8_t *frame)
{
    uint8_t fixed[VN_PF_MAX_OFF] = {0};
    rnd_frame(frame);
    for (unsigned pass = rnd(4) ? 1 + rnd(2) : 0; pass > 0; pass--) {
        unsigned i = rnd(NMODEL);
        while (!model[i].live && i + 1 < NMODEL)
            i++;
        if (!model[i].live)
            return;
        unsigned s[16], e[16], t = rnd(terms_of(&model[i].prog, s, e));
        impose(frame, fixed, &model[i].prog, s[t], e[t]);
    }
}

static void check_classify(const uint8_t *frame)
{
    void *got[PF_SET_MAX + 1];
    const struct model *best = NULL;
    int shared[NMODEL] = {0}, nshared = 0;
    for (unsigned i = 0; i < NMODEL; i++) {
        const struct model *m = &model[i];
        if (!m->live || !pf_run(m->prog.i, m->prog.n, frame))
            continue;
        if (m->flags & VN_PF_SHARED)
            shared[i] = 1, nshared++;
        else if (!best || m->prio > best->prio || (m->prio == best->prio && m->order > best->order))
            best = m;
    }
    unsigned n = pf_set_classify(&set, frame, got, PF_SET_MAX + 1);
    CHECK(n == (best != NULL) + (unsigned)nshared);
    unsigned k = 0;
    if (best)
        CHECK(got[k++] == best);
    for (; k < n; k++) {
        struct model *m = got[k];
        CHECK(m >= model && m < model + NMODEL && shared[m - model] == 1);
        shared[m - model] = 2;                          /* once each */
    }
    if (n > 1)
        CHECK(pf_set_classify(&set, frame, got, 1) == 1 && got[0] == (best ? (void *)best : got[0]));
}

static int add(unsigned i, const struct prog *p, unsigned flags, unsigned prio)
{
    int r = pf_set_add(&set, p->i, p->n, flags, prio, &model[i], &model[i].f);
    if (r == 0) {
        model[i] = (struct model){*p, flags, prio, ++order, model[i].f, 1};
        CHECK(model[i].f->owner == &model[i]);
    }
    return r;
}

static void drop(unsigned i)
{
    pf_set_remove(&set, model[i].f);
    model[i].live = 0;
}

/* Random adds and removes; with check, adds refused on conflict as the
 * kernel would, else overlaps everywhere and prio decides. */
static void test_random(int check, unsigned rounds)
{
    pf_set_init(&set);
    memset(model, 0, sizeof model);
    unsigned live = 0;
    for (unsigned r = 0; r < rounds; r++) {
        unsigned i = rnd(NMODEL);
        if (model[i].live && rnd(3) == 0) {
            drop(i);
            live--;
        } else if (!model[i].live) {
            struct prog p = rnd_prog();
            unsigned flags = rnd(3) == 0 ? VN_PF_SHARED : 0;
            void *one;
            if (check) {
                check_conflicts(&p, flags);
                if (pf_set_conflicts(&set, p.i, p.n, flags, &one, 1))
                    continue;
            }
            int e = add(i, &p, flags, rnd(3));
            CHECK(e == 0 || (e == -E_NOSPC && live == PF_SET_MAX));
            live += e == 0;
        }
        CHECK(set.nfilters == live);
        for (unsigned k = 0; k < 8; k++) {
            uint8_t frame[VN_PF_MAX_OFF];
            biased_frame(frame);
            check_classify(frame);
        }
    }
    for (unsigned i = 0; i < NMODEL; i++)
        if (model[i].live)
            drop(i);
    CHECK(set.nfilters == 0 && set.nbytes == 0 && set.nnodes == 1 && set.ntests == 1 && set.naccepts == 1);
}

/* Filters of one shape, different ports: the cost of a frame stays flat. */
static void test_flat(void)
{
    static const unsigned sizes[] = {1, 10, 100, 256};
    double base = 0;
    for (unsigned z = 0; z < 4; z++) {
        pf_set_init(&set);
        memset(model, 0, sizeof model);
        for (unsigned i = 0; i < sizes[z]; i++) {
            struct prog p = {0};
            p_cmp(&p, 2, 12, 0xffff, 0x0800);
            p_cmp(&p, 1, 23, 0xff, 6);
            p_cmp(&p, 2, 36, 0xffff, 1000 + 7 * i);
            p_accept(&p);
            p_end(&p);
            CHECK(add(i, &p, 0, 0) == 0);
        }
        uint64_t c0 = set.classified, v0 = set.visits;
        for (unsigned k = 0; k < 1000; k++) {
            uint8_t frame[VN_PF_MAX_OFF] = {0};
            put(frame, 2, 12, 0xffff, 0x0800);
            put(frame, 1, 23, 0xff, 6);
            put(frame, 2, 36, 0xffff, 1000 + 7 * rnd(sizes[z]));
            check_classify(frame);
        }
        double avg = (double)(set.visits - v0) / (double)(set.classified - c0);
        printf("pf: %3u filters of the TCP-port shape: %u nodes, %.2f visits per matching frame\n",
               sizes[z], set.nnodes, avg);
        if (z == 0)
            base = avg;
        CHECK(avg <= base * 1.1);
    }
    struct prog p = tcp80();
    CHECK(pf_set_add(&set, p.i, p.n, 0, 0, NULL, &model[300].f) == -E_NOSPC);  /* 257th */
}

/* Each pool exhausted in turn refuses the add and leaves the set as it was. */
static void test_capacity(void)
{
    struct prog p = tcp80();
    struct pf_filter *f;
    pf_set_init(&set);
    memset(model, 0, sizeof model);
    p.i[p.n - 1].op = 0;
    CHECK(pf_set_add(&set, p.i, p.n, 0, 0, NULL, &f) == -E_INVAL);
    p = tcp80();
    CHECK(pf_set_add(&set, p.i, p.n, VN_PF_DEFAULT, 0, NULL, &f) == -E_INVAL);
    CHECK(pf_set_add(&set, p.i, p.n, 4, 0, NULL, &f) == -E_INVAL);

    for (unsigned pool = 0; pool < 3; pool++) {
        unsigned i = 0;
        int e;
        do {
            p = (struct prog){0};
            if (pool == 0) {                        /* nodes: 120 each, none shared */
                for (unsigned k = 0; k < 30; k++)
                    p_cmp(&p, 4, 4 * k, 0xffffffff, (uint32_t)rand() | 1);
                p_accept(&p);
            } else if (pool == 1) {                 /* constraints: 120 each, nodes shared */
                for (unsigned k = 0; k < 30; k++)
                    p_cmp(&p, 4, 4 * k, 0xffffffff, 0x01020304);
                p_accept(&p);
            } else {                                /* terms: 15 each, nodes shared */
                for (unsigned k = 0; k < 15; k++) {
                    p_cmp(&p, 1, k, 0xff, 1);
                    p_accept(&p);
                }
            }
            p_end(&p);
            unsigned nn = set.nnodes, nb = set.nbytes;
            e = add(i, &p, VN_PF_SHARED, 0);
            if (e == 0)
                i++;
            else
                CHECK(set.nnodes == nn && set.nbytes == nb);
        } while (e == 0);
        CHECK(e == -E_NOSPC);
        CHECK(i == (pool == 0 ? (PF_SET_NODES - 1) / 120 : pool == 1 ? PF_SET_BYTES / 120 : PF_SET_TERMS / 15));
        if (pool == 1) {                            /* the constraints left, exactly */
            unsigned left = PF_SET_BYTES - set.nbytes;
            CHECK(left % 4 == 0 && left / 4 <= 30);
            p = (struct prog){0};
            for (unsigned k = 0; k < left / 4; k++)
                p_cmp(&p, 4, 4 * k, 0xffffffff, 0x05060708);
            p_accept(&p);
            p_end(&p);
            CHECK(add(i++, &p, VN_PF_SHARED, 0) == 0 && set.nbytes == PF_SET_BYTES);
            p = tcp80();
            CHECK(add(i, &p, VN_PF_SHARED, 0) == -E_NOSPC);
        }
        for (unsigned k = 0; k < 50; k++) {
            uint8_t frame[VN_PF_MAX_OFF];
            biased_frame(frame);
            check_classify(frame);
        }
        while (i > 0)
            drop(--i);
        CHECK(set.nfilters == 0 && set.nbytes == 0 && set.nnodes == 1);
    }
}

/* Terms that overlap within one filter, terms that can never match. */
static void test_corners(void)
{
    pf_set_init(&set);
    memset(model, 0, sizeof model);
    struct prog p = {0};
    p_cmp(&p, 2, 12, 0xffff, 0x0806);                   /* ARP | anything at 12 = 08 */
    p_accept(&p);
    p_cmp(&p, 1, 12, 0xff, 0x08);
    p_accept(&p);
    p_end(&p);
    CHECK(add(0, &p, VN_PF_SHARED, 0) == 0);
    uint8_t frame[VN_PF_MAX_OFF] = {0};
    void *got[4];
    put(frame, 2, 12, 0xffff, 0x0806);
    CHECK(pf_set_classify(&set, frame, got, 4) == 1 && got[0] == &model[0]);
    p = (struct prog){0};
    p_cmp(&p, 2, 12, 0xffff, 0x0806);                   /* contradiction on one byte */
    p_cmp(&p, 1, 13, 0x0f, 0x05);
    p_accept(&p);
    p_end(&p);
    check_conflicts(&p, 0);
    CHECK(pf_set_conflicts(&set, p.i, p.n, 0, got, 4) == 0);
    CHECK(add(1, &p, 0, 0) == 0 && model[1].f->nbytes == 0);
    CHECK(pf_set_classify(&set, frame, got, 4) == 1);
    p = tcp80();
    p.i[0].op = 0;
    CHECK(pf_set_conflicts(&set, p.i, p.n, 0, got, 4) == 0);
    drop(0);
    drop(1);
    CHECK(pf_set_classify(&set, frame, got, 4) == 0);
}

int main(void)
{
    srand(15);
    test_verify();
    test_corners();
    test_random(1, 3000);
    test_random(0, 3000);
    test_capacity();
    test_flat();
    printf("pf: %d checks passed, sizeof(struct pf_set) %zu\n", checks, sizeof(struct pf_set));
    return 0;
}
