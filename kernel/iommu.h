/*
 * The IOMMU, as the portable kernel sees it: DMA remapping domains (one
 * I/O address space per device holder, its page tables charged to an
 * environment), the fault log, and interrupt remapping entries.  The
 * machine layer implements it (x86_64: vtd.c, Intel VT-d).  Everything
 * here runs under the kernel lock.
 *
 *   device (requester id) --context entry--> domain --page tables--> RAM pages
 *   device MSI write (remappable format, handle) --> IRTE --> CPU vector
 *
 * Until a function is attached to a domain, every DMA it attempts is
 * blocked and recorded as a fault: the kernel turns translation on at
 * boot with no context entry present.
 */
#ifndef KERNEL_IOMMU_H
#define KERNEL_IOMMU_H

#include "pci.h"
#include "types.h"

struct iommu_domain;

/* Boot, after PCI enumeration: program every remapping unit the ACPI DMAR
 * described (root table, invalidation queue, fault event interrupt,
 * interrupt remapping table), block all DMA and turn translation and
 * interrupt remapping on.  Prints one line per unit. */
void iommu_init(void);
/* Whether function a's DMA can be confined (a unit covers it and is on). */
bool iommu_covers(pci_addr_t a);
/* Whether interrupt remapping is on (MSIs must use iommu_msi_message). */
bool iommu_intremap(void);

/* New empty domain whose page tables are charged to owner (through
 * vm_table_alloc; owner NULL: the kernel's own pages).  Errors: -E_QUOTA,
 * -E_NOMEM, -E_NOSPC (domain ids exhausted), -E_NODEV (no unit is on). */
int iommu_domain_create(void *owner, struct iommu_domain **out);
/* Detach every function from d, free its page tables (its mappings must
 * already be gone: a kernel bug otherwise, which panics) and d itself. */
void iommu_domain_destroy(struct iommu_domain *d);
/* Point function a's context entry at d (replacing any other domain); its
 * DMA is translated by d from now on.  Errors: -E_NODEV (no unit covers
 * a), -E_NOMEM (a context table page: the kernel's own, one per bus at
 * most, freed with its last entry). */
int iommu_attach(struct iommu_domain *d, pci_addr_t a);
/* Clear a's context entry: its DMA is blocked again once this returns
 * (context cache and IOTLB invalidated, waited for). */
void iommu_detach(pci_addr_t a);
/* Map the 4 KiB page pa at I/O virtual address iova in d, readable by the
 * device, and writable if `write`.  Errors: -E_INVAL (iova or pa
 * unaligned, iova >= iommu_iova_limit(), or already mapped), -E_QUOTA,
 * -E_NOMEM (a page-table page). */
int iommu_map(struct iommu_domain *d, uint64_t iova, paddr_t pa, bool write);
/* Remove the mapping at iova and invalidate it in the IOTLB, waiting for
 * the invalidation to complete, so the device can no longer reach the
 * page when this returns.  Returns the page in *pa.  Errors: -E_NOENT
 * (nothing mapped there, iova unaligned or out of range). */
int iommu_unmap(struct iommu_domain *d, uint64_t iova, paddr_t *pa);
/* Translate iova in d (*write: the device may write).  Errors: -E_NOENT. */
int iommu_lookup(struct iommu_domain *d, uint64_t iova, paddr_t *pa, bool *write);
/* First I/O virtual address past what domains can map (2^39 on QEMU's
 * VT-d with 3-level tables; 0 with no unit on). */
uint64_t iommu_iova_limit(void);

/* Read, log (one line each: requester id, read/write, address, reason;
 * at most 16 lines per requester id, then they are only counted) and
 * clear every recorded fault.  Called from the fault event interrupt and
 * before anything reports fault counts. */
void iommu_fault_serve(void);
/* DMA faults recorded for function a since boot (the first 64 requester
 * ids to fault are counted apart). */
uint64_t iommu_fault_count(pci_addr_t a);
/* For self-tests: the fault event MSI of the first unit that is on, as
 * programmed, and whether it is masked; false if no unit is on. */
bool iommu_fault_event(uint64_t *addr, uint32_t *data, bool *masked);

/* Interrupt remapping.  An entry delivers interrupts from one source only
 * (source validation on its requester id: a PCI function, or an I/O APIC
 * by its DMAR scope id) to one CPU vector.
 * Allocate an entry for requester id `source` of segment 0 (not yet
 * present).
 * Errors: -E_NOSPC (table full), -E_NODEV (no unit covers source). */
int iommu_irte_alloc(uint16_t source, unsigned *handle);
/* Make entry `handle` deliver `vector` to the CPU with APIC id apic_id
 * (fixed delivery, physical destination, edge: MSI and MSI-X only).
 * The entry cache is invalidated, and waited for, before this returns.
 * An unallocated handle, an APIC id above 255 (xAPIC mode) or a vector
 * below 32 is a kernel bug and panics. */
void iommu_irte_set(unsigned handle, unsigned apic_id, unsigned vector);
/* Remove the entry (interrupts through it fault) and invalidate it. */
void iommu_irte_free(unsigned handle);
/* For self-tests: entry handle as the table holds it (low, high word). */
void iommu_irte_read(unsigned handle, uint64_t e[2]);
/* The MSI address and data a device must write to raise entry handle
 * (remappable format). */
void iommu_msi_message(unsigned handle, uint64_t *addr, uint32_t *data);

#endif
