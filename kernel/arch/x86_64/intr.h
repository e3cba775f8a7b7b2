/*
 * The machine layer behind irq.h's irq_arch_*: MSI and MSI-X (msi.c),
 * and the I/O APICs, whose pins are only masked (ioapic.c).  Kernel lock
 * throughout.
 */
#ifndef ARCH_INTR_H
#define ARCH_INTR_H

#include "../../irq.h"

/* Map every I/O APIC of the MADT and mask all its pins. */
void ioapic_init(void);

#endif
