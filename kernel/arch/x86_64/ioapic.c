/*
 * I/O APICs: each of the MADT's is mapped uncached at boot and all its
 * pins masked; a pin (a global system interrupt) is then programmed for
 * one bound irq.  A redirection entry is 64 bits, reached through the
 * index register (IOREGSEL) and the data window (IOWIN), low half first
 * at 0x10 + 2 * pin.  Compatibility format: vector, fixed delivery,
 * physical destination (the boot CPU's APIC id in bits 63:56), polarity
 * bit 13, trigger bit 15, mask bit 16.  Remappable format (VT-d): bit 48
 * set, the IRTE handle's bits 14:0 in 63:49 and bit 15 in bit 11, and the
 * vector field equal to the IRTE's, as the I/O APIC matches EOIs of level
 * pins against it.  The entry is written high half first, masked, and
 * unmasked only by ioapic_mask.  The two-register access is one operation
 * because callers hold the kernel lock.
 */
#include <veneer/errors.h>
#include "../../console.h"
#include "../../iommu.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "acpi.h"
#include "intr.h"

#define IOREGSEL 0              /* in 32-bit words */
#define IOWIN    4
#define REG_VER  0x01
#define REG_RTE(pin) (0x10 + 2 * (pin))

#define RTE_INDEX15     (1u << 11)  /* remappable: handle bit 15 */
#define RTE_ACTIVE_LOW  (1u << 13)
#define RTE_LEVEL       (1u << 15)
#define RTE_MASK        (1u << 16)
#define RTE_REMAPPABLE  (1u << 16)  /* in the high half: bit 48 */

static struct {
    unsigned n;
    struct {
        volatile uint32_t *regs;
        uint8_t id;
        uint32_t gsi_base;
        unsigned pins;
    } a[ACPI_MAX_IOAPICS];
} ioapic;                           /* written at boot, then read under the kernel lock */

static uint32_t ioapic_read(unsigned i, unsigned reg)
{
    ioapic.a[i].regs[IOREGSEL] = reg;
    return ioapic.a[i].regs[IOWIN];
}

static void ioapic_write(unsigned i, unsigned reg, uint32_t v)
{
    ioapic.a[i].regs[IOREGSEL] = reg;
    ioapic.a[i].regs[IOWIN] = v;
}

void ioapic_init(void)
{
    const struct acpi_devices *d = acpi_devices_init();
    for (unsigned k = 0; k < d->nioapics; k++) {
        if (vm_kernel_map_mmio(d->ioapics[k].addr, 4096) < 0) {
            kprintf("ioapic: id %u at %x cannot be mapped; its pins are not used\n", d->ioapics[k].id,
                    d->ioapics[k].addr);
            continue;
        }
        unsigned i = ioapic.n++;
        ioapic.a[i].regs = P2V(d->ioapics[k].addr);
        ioapic.a[i].id = d->ioapics[k].id;
        ioapic.a[i].gsi_base = d->ioapics[k].gsi_base;
        ioapic.a[i].pins = ((ioapic_read(i, REG_VER) >> 16) & 0xff) + 1;
        for (unsigned p = 0; p < ioapic.a[i].pins; p++) {
            ioapic_write(i, REG_RTE(p), RTE_MASK);
            ioapic_write(i, REG_RTE(p) + 1, 0);
        }
        kprintf("ioapic: id %u: %u pins (gsi %u-%u), all masked\n", ioapic.a[i].id, ioapic.a[i].pins,
                ioapic.a[i].gsi_base, ioapic.a[i].gsi_base + ioapic.a[i].pins - 1);
    }
}

/* The I/O APIC serving gsi (its pin in *pin), or -1. */
static int ioapic_find(unsigned gsi, unsigned *pin)
{
    for (unsigned i = 0; i < ioapic.n; i++) {
        if (gsi >= ioapic.a[i].gsi_base && gsi - ioapic.a[i].gsi_base < ioapic.a[i].pins) {
            *pin = gsi - ioapic.a[i].gsi_base;
            return (int)i;
        }
    }
    return -1;
}

int ioapic_route(struct irq *q)
{
    unsigned pin;
    int i = ioapic_find(q->index, &pin);
    if (i < 0)
        return -E_INVAL;
    struct msi_msg m;
    int r = msi_compose(q, iommu_ioapic_source(ioapic.a[i].id), &m);
    if (r < 0)
        return r;
    uint32_t lo = q->vector | RTE_MASK | (q->flags & IRQ_LEVEL ? RTE_LEVEL : 0) |
                  (q->flags & IRQ_ACTIVE_LOW ? RTE_ACTIVE_LOW : 0);
    uint32_t hi = m.apic_id << 24;
    if (m.remapped) {
        lo |= m.handle & 0x8000 ? RTE_INDEX15 : 0;
        hi = RTE_REMAPPABLE | (m.handle & 0x7fff) << 17;
    }
    ioapic_write((unsigned)i, REG_RTE(pin), RTE_MASK);
    ioapic_write((unsigned)i, REG_RTE(pin) + 1, hi);
    ioapic_write((unsigned)i, REG_RTE(pin), lo);
    return 0;
}

void ioapic_mask(struct irq *q, bool masked)
{
    unsigned pin;
    int i = ioapic_find(q->index, &pin);
    if (i < 0)
        return;
    uint32_t lo = ioapic_read((unsigned)i, REG_RTE(pin));
    ioapic_write((unsigned)i, REG_RTE(pin), masked ? lo | RTE_MASK : lo & ~RTE_MASK);
}

void irq_isa_pin(unsigned isa, unsigned *gsi, unsigned *flags)
{
    const struct acpi_devices *d = acpi_devices_init();
    *gsi = isa;
    *flags = 0;
    for (unsigned k = 0; k < d->noverrides; k++) {
        const struct acpi_irq_override *o = &d->overrides[k];
        if (o->bus != 0 || o->irq != isa)
            continue;
        *gsi = o->gsi;
        *flags = ((o->flags & 3) == 3 ? IRQ_ACTIVE_LOW : 0) | ((o->flags >> 2 & 3) == 3 ? IRQ_LEVEL : 0);
    }
}
