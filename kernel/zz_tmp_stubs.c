/* TEMPORARY: not committed */
#include <veneer/errors.h>
#include "iommu.h"
#include "irq.h"
void iommu_init(void) {}
bool iommu_covers(pci_addr_t a) { (void)a; return false; }
bool iommu_intremap(void) { return false; }
int iommu_domain_create(void *o, struct iommu_domain **out) { (void)o; (void)out; return -E_NODEV; }
void iommu_domain_destroy(struct iommu_domain *d) { (void)d; }
int iommu_attach(struct iommu_domain *d, pci_addr_t a) { (void)d; (void)a; return -E_NODEV; }
void iommu_detach(pci_addr_t a) { (void)a; }
int iommu_map(struct iommu_domain *d, uint64_t iova, paddr_t pa, bool w) { (void)d; (void)iova; (void)pa; (void)w; return -E_NODEV; }
int iommu_unmap(struct iommu_domain *d, uint64_t iova, paddr_t *pa) { (void)d; (void)iova; (void)pa; return -E_NOENT; }
int iommu_lookup(struct iommu_domain *d, uint64_t iova, paddr_t *pa, bool *w) { (void)d; (void)iova; (void)pa; (void)w; return -E_NOENT; }
uint64_t iommu_iova_limit(void) { return 1ul << 39; }
void iommu_fault_serve(void) {}
uint64_t iommu_fault_count(pci_addr_t a) { (void)a; return 0; }
static struct irq irqs[IRQ_MAX];
struct irq *irq_slot(unsigned i) { return i < IRQ_MAX ? &irqs[i] : 0; }
int irq_bind(unsigned kind, pci_addr_t dev, unsigned index, unsigned flags, struct notify *n, uint64_t bits, struct irq **out) { (void)kind; (void)dev; (void)index; (void)flags; (void)n; (void)bits; (void)out; return -E_NOSPC; }
void irq_unbind(struct irq *q) { (void)q; }
void irq_ack(struct irq *q) { (void)q; }
void irq_set_mask(struct irq *q, bool m) { (void)q; (void)m; }
void irq_unbind_dev(pci_addr_t a) { (void)a; }
