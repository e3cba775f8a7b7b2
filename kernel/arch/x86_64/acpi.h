/* ACPI tables: just the processor list for SMP bring-up. */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include "../../types.h"

/* Fill apic_ids with the enabled processors' local APIC ids (at most max)
 * and *lapic_pa with the local APIC's physical address; returns how many
 * processors were found (0 if there is no usable MADT). */
int acpi_cpus(uint32_t *apic_ids, int max, paddr_t *lapic_pa);

#endif
