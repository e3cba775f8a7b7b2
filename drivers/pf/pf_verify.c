/*
 * The packet-filter verifier and the reference interpreter.
 *
 * A program is accepted only in the exact shape of include/veneer/net.h:
 *
 *   term term ... REJECT      term = CMP CMP ... ACCEPT (at least one CMP)
 *
 * with every CMP of a term failing to the first instruction after the
 * term's ACCEPT (the next term, or the final REJECT), so jumps are forward
 * by construction and a program runs at most n instructions.  A term of a
 * lone ACCEPT (match everything) is refused: that is what VN_PF_DEFAULT is
 * for, and it would overlap every other filter.  So is a lone REJECT (it
 * matches nothing).  ACCEPT and REJECT carry no operands: their other
 * fields must be 0, which keeps them free for later use.  Checking the shape
 * once lets the classifier reduce each term to exact byte constraints.
 */
#include <veneer/errors.h>
#include "pf.h"

/* A CMP's operands, except fail.  The load lies within the first
 * VN_PF_MAX_OFF bytes; mask is non-zero and within size; val within mask. */
static bool pf_cmp_ok(const struct vn_pf_insn *q)
{
    if (q->size != 1 && q->size != 2 && q->size != 4)
        return false;
    if ((unsigned)q->off + q->size > VN_PF_MAX_OFF || q->pad != 0 || q->mask == 0)
        return false;
    if (q->size < 4 && (q->mask >> (8 * q->size)) != 0)
        return false;
    return (q->val & ~q->mask) == 0;
}

static bool pf_bare(const struct vn_pf_insn *q)
{
    return q->size == 0 && q->off == 0 && q->fail == 0 && q->pad == 0 &&
           q->mask == 0 && q->val == 0;
}

/* 0 if p[0..n) has the shape above.  Errors: -E_INVAL, for the first
 * departure from it (no program, too long, a bad operand, an unknown op, a
 * REJECT before the end, a term without CMP or ACCEPT, a CMP failing
 * anywhere but to the next term). */
int pf_verify(const struct vn_pf_insn *p, unsigned n)
{
    if (!p || n < 3 || n > VN_PF_MAX_INSNS)
        return -E_INVAL;
    if (p[n - 1].op != VN_PF_REJECT || !pf_bare(&p[n - 1]))
        return -E_INVAL;
    unsigned start = 0;                     /* the current term's first insn */
    for (unsigned i = 0; i < n - 1; i++) {
        const struct vn_pf_insn *q = &p[i];
        if (q->op == VN_PF_CMP) {
            if (!pf_cmp_ok(q))
                return -E_INVAL;
            continue;
        }
        if (q->op != VN_PF_ACCEPT || !pf_bare(q) || i == start)
            return -E_INVAL;
        for (unsigned j = start; j < i; j++)
            if (p[j].fail != i + 1)
                return -E_INVAL;
        start = i + 1;
    }
    return start == n - 1 ? 0 : -E_INVAL;   /* else the last term has no ACCEPT */
}

/* Whether program p (which passed pf_verify) accepts frame. */
bool pf_run(const struct vn_pf_insn *p, unsigned n, const uint8_t *frame)
{
    unsigned pc = 0;
    while (pc < n) {
        const struct vn_pf_insn *q = &p[pc];
        if (q->op != VN_PF_CMP)
            return q->op == VN_PF_ACCEPT;
        uint32_t x = 0;
        for (unsigned k = 0; k < q->size; k++)
            x = x << 8 | frame[q->off + k];
        pc = (x & q->mask) == q->val ? pc + 1 : q->fail;
    }
    return false;
}
