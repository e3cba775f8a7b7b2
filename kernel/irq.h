/*
 * Device interrupts: a source (an MSI vector or an MSI-X table entry)
 * routed to a CPU vector, bound to a notification word.  Each interrupt
 * is one-shot: on arrival the kernel masks the source at its origin
 * (MSI-X entry mask, MSI per-vector mask or MSI enable), ORs the bound bits into the word (waking its
 * waiter) and leaves the source masked until the holder acknowledges it,
 * so a storm costs at most one delivery per acknowledgement.  With
 * interrupt remapping on, every source goes through an IRTE validated
 * against its requester id; the kernel alone writes MSI address/data and
 * MSI-X tables.
 *
 *   device --MSI--> [IRTE] --> vector --> irq --> notify word (bits)
 *
 * The kernel's own drivers bind an irq to a callback instead of a word
 * (irq_bind_kernel): the same one-shot delivery calls it, under the kernel
 * lock, and the driver acks once it has drained its device.
 *
 * I/O APIC pins are masked at boot and never routed (device INTx routing
 * is in AML).  Portable part: irq.c; machine part: kernel/arch/x86_64/msi.c.
 * All under the kernel lock except irq_note().
 */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include "pci.h"
#include "types.h"

struct notify;

#define IRQ_MAX 64                  /* interrupts bound at once, machine-wide */

enum irq_kind {
    IRQ_MSI = 1,                    /* MSI vector `index` of a function (0 only for now) */
    IRQ_MSIX = 2,                   /* MSI-X table entry `index` of a function */
};

struct irq {
    uint16_t gen;                   /* bumped on every unbind: stale handles fail */
    uint8_t kind;                   /* enum irq_kind, 0: free slot */
    bool masked;                    /* source masked now: pending_ack or held */
    bool held;                      /* the holder's mask (irq_set_mask) */
    bool pending_ack;               /* delivered, not acknowledged yet */
    pci_addr_t dev;
    unsigned index;
    unsigned vector;                /* CPU vector */
    int irte;                       /* remapping entry, or -1 (compatibility format) */
    struct notify *notify;          /* bound to a word (bits), or NULL: */
    void (*fn)(void *ctx);          /* ... to a kernel driver's callback */
    void *ctx;
    uint64_t bits;
    struct irq *notify_next;        /* list of irqs bound to the same word */
    uint64_t count;                 /* deliveries */
};

/* Boot: vector pool, I/O APICs masked (after pci_init and iommu_init). */
void irq_init(void);
/* Route source (kind, dev, index) to a free vector on the boot CPU and
 * bind it to n with bits (non-zero, within VN_NOTIFY_BITS); the source
 * starts unmasked.
 * Errors: -E_INVAL (no such kind or MSI/MSI-X entry, bad bits, an
 * MSI-X table in an unassigned or undecoded BAR), -E_BUSY (already bound,
 * or the function's other kind of MSI is), -E_NOSPC (no vector, no slot,
 * no IRTE), -E_NODEV (interrupt remapping is on and covers no such
 * source), -E_NOMEM (mapping the MSI-X table).  MSI and MSI-X messages
 * reach the CPU only while the function's bus mastering is on (its
 * holder's business, with DMA). */
int irq_bind(unsigned kind, pci_addr_t dev, unsigned index, struct notify *n, uint64_t bits, struct irq **out);
/* The same for a kernel driver: deliveries call fn(ctx) under the kernel
 * lock (from irq_deliver_pending), masked until irq_ack.  Errors: as
 * irq_bind's (-E_INVAL also for fn NULL). */
int irq_bind_kernel(unsigned kind, pci_addr_t dev, unsigned index, void (*fn)(void *ctx), void *ctx,
                    struct irq **out);
/* Mask the source, free the vector and IRTE, and unlink from the word. */
void irq_unbind(struct irq *q);
/* Acknowledge a delivery and unmask the source (unless the holder masked
 * it). */
void irq_ack(struct irq *q);
/* Holder's mask: while set, the source stays masked even after ack. */
void irq_set_mask(struct irq *q, bool masked);
/* Slot i of the table (for capability lookups by index). */
struct irq *irq_slot(unsigned i);
/* The notification word n is going: unbind every irq bound to it. */
void irq_notify_gone(struct notify *n);
/* Unbind every irq of function dev (reset). */
void irq_unbind_dev(pci_addr_t dev);

/* Interrupt entry, any mode, without the kernel lock: note that vector
 * arrived (the EOI is the caller's).  Returns whether it is a device
 * vector this file owns. */
bool irq_note(unsigned vector);
/* Under the kernel lock: deliver every noted vector to its word or
 * callback (and the IOMMU's fault event to iommu_fault_serve). */
void irq_deliver_pending(void);

/* ---- the machine layer (kernel/arch/<arch>/msi.c), under the kernel
 * lock; q's kind, dev, index and vector are set. */

/* Boot: map and mask every interrupt controller input.  Returns whether
 * the boot CPU can be a destination at all. */
bool irq_arch_init(void);
/* Check that q's source exists, then route it to q->vector on the boot CPU,
 * masked (through a new IRTE in q->irte if remapping is on), enabling the
 * function's MSI or MSI-X.  Errors: as irq_bind's but -E_BUSY. */
int irq_arch_route(struct irq *q);
/* Mask or unmask q's source. */
void irq_arch_mask(struct irq *q, bool masked);
/* Mask q's source for good and free its IRTE; last: no other irq of its
 * function remains bound, so turn its MSI or MSI-X off. */
void irq_arch_unroute(struct irq *q, bool last);

#endif
