/*
 * Packet filters (the programs of include/veneer/net.h): the verifier,
 * the reference interpreter, and the set of installed filters merged into
 * one classifier (DPF's idea: filters that test the same fields share the
 * tests).  Pure logic with no locks and no home of its own, compiled into
 * both homes of the NIC multiplexer: the kernel (kernel/net.c calls it under
 * the kernel lock) and the user-level home (mk/uhome.mk puts it in
 * libdrv.a for a driver environment).  Host unit-tested (tests/host/test_pf.c).
 */
#ifndef DRIVERS_PF_H
#define DRIVERS_PF_H

#include <stdbool.h>
#include <stdint.h>
#include <veneer/net.h>

/* Check a program's shape (see pf_verify.c).  Errors: -E_INVAL. */
int pf_verify(const struct vn_pf_insn *p, unsigned n);
/* Whether a verified program accepts frame (at least VN_PF_MAX_OFF bytes,
 * zero-padded): the reference semantics the classifier must agree with. */
bool pf_run(const struct vn_pf_insn *p, unsigned n, const uint8_t *frame);

/* ---- the set of installed filters
 *
 * Fixed capacity, no allocation: the caller provides the struct (64 KiB;
 * static or its own pages) and calls pf_set_init.  Every field is
 * private to pf_classify.c except as noted. */
#define PF_SET_MAX    256       /* filters */
#define PF_SET_BYTES  4096      /* byte constraints, over all filters' live terms */
#define PF_SET_TERMS  1024      /* live terms, over all filters */
#define PF_SET_NODES  2048      /* trie nodes, and as many tests */
#define PF_SET_HASH   2048      /* edge hash buckets (a power of 2) */

struct pf_byte {                /* frame[off] & mask == val */
    uint8_t off, mask, val;
    uint8_t end;                /* the last constraint of its term */
};

struct pf_filter {
    void *owner;                /* the caller's; what classify returns */
    uint64_t seq;               /* order of adding: ties in prio go to the later */
    unsigned prio;
    uint16_t first, nbytes;     /* its terms: bytes[first, first + nbytes) */
    uint8_t flags;              /* VN_PF_SHARED or 0 */
    uint8_t used;
};

struct pf_node {                /* a trie state: the constraints on the path so far hold */
    uint16_t test;              /* first test leaving it (0: none) */
    uint16_t accept;            /* first term ending here (0: none) */
    uint16_t parent;            /* the test whose edge leads here */
    uint16_t hnext;             /* next node in the same edge hash bucket */
    uint8_t val;                /* the edge's value */
};

struct pf_test {                /* frame[off] & mask, looked up as (test, value) */
    uint16_t node;              /* the state it leaves */
    uint16_t next;              /* next test leaving the same state */
    uint8_t off, mask;
};

struct pf_accept {
    uint16_t filter;            /* index in filters */
    uint16_t next;              /* next term ending at the same node */
};

struct pf_set {
    struct pf_filter filters[PF_SET_MAX];
    struct pf_byte bytes[PF_SET_BYTES];     /* filters' terms, packed */
    unsigned nfilters, nbytes;
    uint64_t seq;
    /* The trie, rebuilt from the filters on every change; index 0 of
     * nodes is the root, index 0 of tests and accepts means none. */
    struct pf_node nodes[PF_SET_NODES];
    struct pf_test tests[PF_SET_NODES];
    struct pf_accept accepts[PF_SET_TERMS];
    uint16_t hash[PF_SET_HASH];             /* (test, value) -> node */
    unsigned nnodes, ntests, naccepts;
    uint64_t classified, visits;            /* public stats: classify calls, and the
                                             * tests probed and hash entries examined */
};

/* Empty the set. */
void pf_set_init(struct pf_set *s);
/* Install a program (verified here) with flags 0 or VN_PF_SHARED; does not
 * check overlaps (pf_set_conflicts does).  *out names it for removal.
 * Errors: -E_INVAL (bad program or flags), -E_NOSPC (a capacity above). */
int pf_set_add(struct pf_set *s, const struct vn_pf_insn *p, unsigned n, unsigned flags,
               unsigned prio, void *owner, struct pf_filter **out);
/* Uninstall f, which pf_set_add returned for s.  Cannot fail. */
void pf_set_remove(struct pf_set *s, struct pf_filter *f);
/* The owners of installed filters that some frame could match together with
 * program p installed with flags, unless both are shared (none if p fails
 * pf_verify).  Stores at most max of them and returns how many it stored. */
unsigned pf_set_conflicts(const struct pf_set *s, const struct vn_pf_insn *p, unsigned n,
                          unsigned flags, void **owners, unsigned max);
/* Who receives frame (VN_PF_MAX_OFF bytes, zero-padded): first the owner of
 * the matching unshared filter of highest prio (ties: the latest added), if
 * any, then the owner of every matching shared filter.  Stores at most max
 * owners and returns how many it stored (0: unclaimed).  Updates the stats. */
unsigned pf_set_classify(struct pf_set *s, const uint8_t *frame, void **owners, unsigned max);

#endif
