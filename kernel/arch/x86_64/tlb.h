/* TLB shootdown between CPUs. */
#ifndef ARCH_TLB_H
#define ARCH_TLB_H

#include <stdint.h>

/* Make every CPU in mask drop its translation of va (all translations if
 * va is TLB_FLUSH_ALL) and wait until they have.  Caller holds the BKL. */
void tlb_shootdown(uint64_t mask, uint64_t va);
/* Serve this CPU's pending request, if any (IPI handler, lock spinning). */
void tlb_serve(void);

#define TLB_FLUSH_ALL (~0ul)

#endif
