/* Kernel self-audit (fuzzing builds): check the invariants that tie
 * capabilities, bindings, page records and page tables together. */
#ifndef KERNEL_AUDIT_H
#define KERNEL_AUDIT_H

#include <stdint.h>

/* Allocate the audit's scratch space (call at boot, before the leak
 * baseline is taken).  No-op outside fuzzing builds. */
void audit_init(void);
/* Check everything; panics with the broken invariant. */
void kernel_audit(void);
/* How many audits have passed (0 outside fuzzing builds). */
uint64_t kernel_audits_passed(void);

#endif
