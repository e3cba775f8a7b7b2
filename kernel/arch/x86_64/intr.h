/*
 * Interrupt sources in the machine layer, behind irq.h's irq_arch_*: the
 * message a source sends (msi.c, where remapped or compatibility format
 * is chosen) and the I/O APICs' pins (ioapic.c).  Kernel lock throughout.
 */
#ifndef ARCH_INTR_H
#define ARCH_INTR_H

#include "../../irq.h"

/* What a source writes to raise its vector: an MSI address and data, or
 * for an I/O APIC pin the same thing as redirection-entry fields. */
struct msi_msg {
    uint64_t addr;
    uint32_t data;
    bool remapped;              /* through IRTE `handle` (else compatibility format) */
    unsigned handle;
    unsigned apic_id;           /* compatibility format: the destination */
};

/* The message that raises q->vector on the boot CPU from requester id
 * source (-1: none known): with interrupt remapping on, through a new IRTE
 * (q->irte) validated against source; else compatibility format.  The one
 * place the choice is made.  Errors: -E_NOSPC, -E_NODEV. */
int msi_compose(struct irq *q, int source, struct msi_msg *m);

/* Map every I/O APIC of the MADT and mask all its pins. */
void ioapic_init(void);
/* Route pin q->index (a GSI) with q's flags to q->vector, masked.
 * Errors: -E_INVAL (no I/O APIC serves it), and msi_compose's. */
int ioapic_route(struct irq *q);
void ioapic_mask(struct irq *q, bool masked);

#endif
