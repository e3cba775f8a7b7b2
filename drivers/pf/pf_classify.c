/*
 * The merged classifier: every installed filter in one decision trie, so
 * that a frame's cost depends on the shapes of the filters, not on how
 * many there are (DPF, Engler & Kaashoek 1996).
 *
 * Normal form.  A verified program is a disjunction of terms, each a
 * conjunction of masked equalities on big-endian loads at constant
 * offsets; a load of k bytes is k independent byte tests, so a term is
 * exactly a set of byte constraints frame[off] & mask == val, at most one
 * per offset (two on the same byte merge, or contradict and the term is
 * dropped: it can never match), kept sorted by offset.  Zero mask bytes
 * are dropped; a live term keeps at least one constraint.
 *
 * The trie.  A node is a state: "the constraints on the path hold".  Each
 * test leaving a node looks at one byte, frame[off] & mask, and an edge
 * hash keyed by (test, value) gives the child; a term's constraints, in
 * offset order, are a path from the root, and the term is recorded where
 * the path ends.  Terms agreeing on a prefix of constraints share its
 * nodes: 256 filters "ethertype IPv4, protocol TCP, port p" share the
 * ethertype and protocol nodes and differ in one edge under the port's
 * tests.  Terms constraining different bytes (or the same byte under
 * another mask) after a common prefix become sibling tests of one node.
 *
 * Cost.  Classify walks, without a stack, every node whose path the frame
 * satisfies, and at each probes every test leaving it: one hash lookup
 * each, expected O(1) (load at most PF_SET_NODES / PF_SET_HASH).  A test
 * has at most one matching edge, so the nodes matched number at most the
 * distinct prefixes of term shapes (sequences of offsets and masks): the
 * cost grows with the shapes installed and their length in bytes, not with
 * how many filters share a shape with other values.  Filters whose terms
 * end at a matched node are all looked at (shared ones each get the frame,
 * so that costs what the copies cost).  A level per byte costs a few
 * probes more than DPF's field-wide nodes (5 for ethertype, protocol and
 * port) and keeps the form canonical.
 *
 * Changes rebuild the trie from the filters (O(total constraints times
 * siblings)): adds and removes are rare, classification is per frame.
 * Overlap checks compare the new program's terms with every filter's,
 * pairwise, at install time.
 */
#include <stddef.h>
#include <veneer/errors.h>
#include "pf.h"

#define PF_TERM_BYTES (4 * (VN_PF_MAX_INSNS - 2))   /* at most 30 CMPs of 4 bytes */

/* Reduce verified program p to its live terms' byte constraints in out.
 * Returns how many it stored.  Errors: -E_NOSPC (more than cap). */
static int pf_normalise(const struct vn_pf_insn *p, unsigned n, struct pf_byte *out, unsigned cap)
{
    uint8_t mask[VN_PF_MAX_OFF], val[VN_PF_MAX_OFF];
    unsigned k = 0;
    bool dead = false;
    __builtin_memset(mask, 0, sizeof mask);
    __builtin_memset(val, 0, sizeof val);
    for (unsigned i = 0; i < n; i++) {
        const struct vn_pf_insn *q = &p[i];
        if (q->op == VN_PF_CMP) {
            for (unsigned b = 0; b < q->size; b++) {
                unsigned sh = 8 * (q->size - 1 - b), o = q->off + b;
                uint8_t m = q->mask >> sh, v = q->val >> sh;
                if ((val[o] ^ v) & mask[o] & m)
                    dead = true;
                val[o] |= v;
                mask[o] |= m;
            }
            continue;
        }
        if (q->op != VN_PF_ACCEPT)
            break;
        unsigned start = k;
        for (unsigned o = 0; o < VN_PF_MAX_OFF; o++) {
            if (!mask[o] || dead)
                continue;
            if (k == cap)
                return -E_NOSPC;
            out[k++] = (struct pf_byte){o, mask[o], val[o], 0};
        }
        if (k > start)
            out[k - 1].end = 1;
        __builtin_memset(mask, 0, sizeof mask);
        __builtin_memset(val, 0, sizeof val);
        dead = false;
    }
    return (int)k;
}

static unsigned pf_term_len(const struct pf_byte *t)
{
    unsigned k = 1;
    while (!t[k - 1].end)
        k++;
    return k;
}

/* Whether some frame satisfies both terms (sorted by offset). */
static bool pf_terms_overlap(const struct pf_byte *a, unsigned na, const struct pf_byte *b, unsigned nb)
{
    unsigned i = 0, j = 0;
    while (i < na && j < nb) {
        if (a[i].off < b[j].off)
            i++;
        else if (a[i].off > b[j].off)
            j++;
        else if ((a[i].val ^ b[j].val) & a[i].mask & b[j].mask)
            return false;
        else
            i++, j++;
    }
    return true;
}

static bool pf_overlap(const struct pf_byte *a, unsigned na, const struct pf_byte *b, unsigned nb)
{
    for (unsigned i = 0, li; i < na; i += li) {
        li = pf_term_len(&a[i]);
        for (unsigned j = 0, lj; j < nb; j += lj) {
            lj = pf_term_len(&b[j]);
            if (pf_terms_overlap(&a[i], li, &b[j], lj))
                return true;
        }
    }
    return false;
}

_Static_assert((PF_SET_HASH & (PF_SET_HASH - 1)) == 0 && PF_SET_HASH <= 1 << 16, "pf hash size");

static unsigned pf_hash(unsigned test, uint8_t val)
{
    return ((test << 8 | val) * 2654435761u) >> 16 & (PF_SET_HASH - 1);
}

/* The child along (test t, value v), or 0; counts entries examined. */
static unsigned pf_edge(const struct pf_set *s, unsigned t, uint8_t v, uint64_t *visits)
{
    for (unsigned c = s->hash[pf_hash(t, v)]; c; c = s->nodes[c].hnext) {
        (*visits)++;
        if (s->nodes[c].parent == t && s->nodes[c].val == v)
            return c;
    }
    return 0;
}

/* Add the path of one term (sorted constraints) ending in filter fi.
 * Errors: -E_NOSPC (nodes, tests or accepts exhausted). */
static int pf_trie_insert(struct pf_set *s, const struct pf_byte *t, unsigned len, unsigned fi)
{
    unsigned cur = 0;
    uint64_t unused = 0;
    for (unsigned i = 0; i < len; i++) {
        unsigned x = s->nodes[cur].test;
        while (x && (s->tests[x].off != t[i].off || s->tests[x].mask != t[i].mask))
            x = s->tests[x].next;
        if (!x) {
            if (s->ntests == PF_SET_NODES)
                return -E_NOSPC;
            x = s->ntests++;
            s->tests[x] = (struct pf_test){cur, s->nodes[cur].test, t[i].off, t[i].mask};
            s->nodes[cur].test = x;
        }
        unsigned c = pf_edge(s, x, t[i].val, &unused);
        if (!c) {
            if (s->nnodes == PF_SET_NODES)
                return -E_NOSPC;
            c = s->nnodes++;
            unsigned h = pf_hash(x, t[i].val);
            s->nodes[c] = (struct pf_node){0, 0, x, s->hash[h], t[i].val};
            s->hash[h] = c;
        }
        cur = c;
    }
    if (s->naccepts == PF_SET_TERMS)
        return -E_NOSPC;
    s->accepts[s->naccepts] = (struct pf_accept){fi, s->nodes[cur].accept};
    s->nodes[cur].accept = s->naccepts++;
    return 0;
}

/* Build the trie of every installed filter.  Errors: -E_NOSPC.  Which
 * nodes exist depends only on the set of terms, so the trie of a subset of
 * filters that fitted fits too. */
static int pf_trie_build(struct pf_set *s)
{
    s->nnodes = s->ntests = s->naccepts = 1;
    s->nodes[0] = (struct pf_node){0, 0, 0, 0, 0};
    __builtin_memset(s->hash, 0, sizeof s->hash);
    for (unsigned fi = 0; fi < PF_SET_MAX; fi++) {
        const struct pf_filter *f = &s->filters[fi];
        if (!f->used)
            continue;
        for (unsigned i = 0, len; i < f->nbytes; i += len) {
            len = pf_term_len(&s->bytes[f->first + i]);
            int r = pf_trie_insert(s, &s->bytes[f->first + i], len, fi);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

void pf_set_init(struct pf_set *s)
{
    __builtin_memset(s, 0, sizeof *s);
    pf_trie_build(s);
}

/* Errors: -E_INVAL (p fails pf_verify, flags other than VN_PF_SHARED),
 * -E_NOSPC (PF_SET_MAX filters, or the constraint, term or node pools). */
int pf_set_add(struct pf_set *s, const struct vn_pf_insn *p, unsigned n, unsigned flags,
               unsigned prio, void *owner, struct pf_filter **out)
{
    if ((flags & ~VN_PF_SHARED) || pf_verify(p, n) < 0)
        return -E_INVAL;
    if (s->nfilters == PF_SET_MAX)
        return -E_NOSPC;
    unsigned fi = 0;
    while (s->filters[fi].used)
        fi++;
    int k = pf_normalise(p, n, &s->bytes[s->nbytes], PF_SET_BYTES - s->nbytes);
    if (k < 0)
        return k;
    struct pf_filter *f = &s->filters[fi];
    *f = (struct pf_filter){owner, ++s->seq, prio, s->nbytes, k, flags, 1};
    s->nbytes += k;
    s->nfilters++;
    if (pf_trie_build(s) < 0) {
        pf_set_remove(s, f);
        return -E_NOSPC;
    }
    *out = f;
    return 0;
}

void pf_set_remove(struct pf_set *s, struct pf_filter *f)
{
    unsigned end = f->first + f->nbytes;
    __builtin_memmove(&s->bytes[f->first], &s->bytes[end], (s->nbytes - end) * sizeof s->bytes[0]);
    for (unsigned i = 0; i < PF_SET_MAX; i++)
        if (s->filters[i].used && s->filters[i].first >= end)
            s->filters[i].first -= f->nbytes;
    s->nbytes -= f->nbytes;
    s->nfilters--;
    f->used = 0;
    pf_trie_build(s);                       /* a subset: cannot fail */
}

unsigned pf_set_conflicts(const struct pf_set *s, const struct vn_pf_insn *p, unsigned n,
                          unsigned flags, void **owners, unsigned max)
{
    struct pf_byte t[PF_TERM_BYTES];
    int k = pf_verify(p, n) < 0 ? 0 : pf_normalise(p, n, t, PF_TERM_BYTES);
    unsigned found = 0;
    for (unsigned i = 0; i < PF_SET_MAX && found < max && k > 0; i++) {
        const struct pf_filter *f = &s->filters[i];
        if (!f->used || (f->flags & flags & VN_PF_SHARED))
            continue;
        if (pf_overlap(t, k, &s->bytes[f->first], f->nbytes))
            owners[found++] = f->owner;
    }
    return found;
}

/* Walks the trie depth first without a stack: a node's parent test names
 * the node above and the sibling test to try next. */
unsigned pf_set_classify(struct pf_set *s, const uint8_t *frame, void **owners, unsigned max)
{
    uint64_t shared[PF_SET_MAX / 64] = {0}, visits = 0;
    const struct pf_filter *best = NULL;
    unsigned cur = 0, t = s->nodes[0].test;
    for (;;) {
        if (!t) {
            if (cur == 0)
                break;
            unsigned up = s->nodes[cur].parent;
            cur = s->tests[up].node;
            t = s->tests[up].next;
            continue;
        }
        const struct pf_test *x = &s->tests[t];
        visits++;
        unsigned c = pf_edge(s, t, frame[x->off] & x->mask, &visits);
        if (!c) {
            t = x->next;
            continue;
        }
        cur = c;
        t = s->nodes[c].test;
        for (unsigned a = s->nodes[c].accept; a; a = s->accepts[a].next) {
            unsigned fi = s->accepts[a].filter;
            const struct pf_filter *f = &s->filters[fi];
            if (f->flags & VN_PF_SHARED)
                shared[fi / 64] |= 1ull << (fi % 64);
            else if (!best || f->prio > best->prio || (f->prio == best->prio && f->seq > best->seq))
                best = f;
        }
    }
    s->classified++;
    s->visits += visits;
    unsigned k = 0;
    if (best && k < max)
        owners[k++] = best->owner;
    for (unsigned w = 0; w < PF_SET_MAX / 64; w++)
        for (uint64_t m = shared[w]; m && k < max; m &= m - 1)
            owners[k++] = s->filters[w * 64 + __builtin_ctzll(m)].owner;
    return k;
}
