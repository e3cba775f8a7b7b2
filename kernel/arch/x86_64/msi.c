/*
 * MSI and MSI-X on x86: irq.c's machine-layer entry points.  A message is an address and data the device writes:
 * in compatibility format, 0xfee00000 | destination APIC id << 12
 * (physical, no redirection hint) and data = the vector (fixed delivery,
 * edge).  With interrupt remapping on, every source gets an IRTE that
 * holds vector, destination and trigger and is validated against the
 * source's requester id, and the device gets the remappable message the
 * IOMMU composes.  msi_compose alone makes that choice.  QEMU lets
 * compatibility-format messages through even with remapping on, so only
 * the kernel writes MSI registers and MSI-X tables: a libOS must never
 * get the table's page mapped.
 *
 * Masking: an MSI-X entry's vector-control mask bit; MSI's per-vector mask
 * bit if the function has one, else its enable bit (with INTx disabled,
 * command bit 10, the function is then silent).  Multiple Message Enable
 * stays 0: one vector per function.  MSI-X tables are mapped uncached at
 * boot for every function whose table BAR is placed, so a later bind
 * allocates nothing; one placed after boot is mapped at its first bind.
 * An MSI is a memory write, so it needs the function's bus mastering on
 * (command bit 2): that is its holder's business, with its DMA, and the
 * binding does not turn it on.
 */
#include <veneer/errors.h>
#include "../../iommu.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "intr.h"
#include "percpu.h"

#define MSI_CTRL         2          /* offsets in the MSI capability */
#define MSI_ADDR         4
#define MSI_CTRL_ENABLE  0x1
#define MSI_CTRL_MME     0x70       /* multiple message enable */
#define MSI_CTRL_64BIT   0x80
#define MSI_CTRL_PVM     0x100      /* per-vector masking */

#define MSIX_CTRL        2
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_FMASK  0x4000     /* function mask */
#define MSIX_ENTRY       16         /* bytes per table entry: addr lo, hi, data, vector control */
#define MSIX_VCTRL_MASK  0x1

/* What q's function writes to raise q->vector on the boot CPU: with
 * interrupt remapping on, the message of a new IRTE (q->irte) validated
 * against the function's requester id; else compatibility format.  The
 * one place the choice is made.  Errors: -E_NOSPC, -E_NODEV (no unit
 * remaps the function). */
static int msi_compose(struct irq *q, uint64_t *addr, uint32_t *data)
{
    unsigned apic = cpus[0].apic_id, h;
    if (!iommu_intremap()) {
        *addr = 0xfee00000u | apic << 12;
        *data = q->vector;
        return 0;
    }
    int r = iommu_irte_alloc((uint16_t)q->dev, &h);
    if (r < 0)
        return r;
    iommu_irte_set(h, apic, q->vector);
    q->irte = (int)h;
    iommu_msi_message(h, addr, data);
    return 0;
}

/* Physical address of f's MSI-X table, or 0 if its BAR is not placed. */
static paddr_t msix_table_pa(const struct pci_func *f)
{
    const struct pci_bar *b = &f->bar[f->msix_table_bar % 6];
    return (b->flags & PCI_BAR_IO) || !b->base ? 0 : b->base + f->msix_table_off;
}

static volatile uint32_t *msix_entry(const struct pci_func *f, unsigned i)
{
    return (volatile uint32_t *)P2V(msix_table_pa(f) + (uint64_t)i * MSIX_ENTRY);
}

bool irq_arch_init(void)
{
    ioapic_init();
    for (unsigned i = 0; i < pci_func_count(); i++) {
        const struct pci_func *f = pci_func_get(i);
        if (f->msix_off && msix_table_pa(f))
            vm_kernel_map_mmio(msix_table_pa(f), (uint64_t)f->msix_size * MSIX_ENTRY);
    }
    return cpus[0].apic_id < 256;   /* xAPIC destinations, remapped too (no EIM) */
}

/* MSI of f at the per-vector mask or the enable bit. */
static void msi_mask(const struct pci_func *f, bool masked)
{
    unsigned off = f->msi_off;
    if (f->msi_ctrl & MSI_CTRL_PVM) {
        unsigned reg = off + (f->msi_ctrl & MSI_CTRL_64BIT ? 0x10 : 0x0c);
        uint32_t v = pci_cfg_read32(f->addr, reg);
        pci_cfg_write32(f->addr, reg, masked ? v | 1 : v & ~1u);
    } else {
        uint16_t c = pci_cfg_read16(f->addr, off + MSI_CTRL);
        pci_cfg_write16(f->addr, off + MSI_CTRL, masked ? c & ~MSI_CTRL_ENABLE : c | MSI_CTRL_ENABLE);
    }
}

static void msix_mask(const struct pci_func *f, unsigned i, bool masked)
{
    volatile uint32_t *e = msix_entry(f, i);
    e[3] = masked ? e[3] | MSIX_VCTRL_MASK : e[3] & ~MSIX_VCTRL_MASK;
}

static void intx_disable(pci_addr_t a)
{
    pci_cfg_write16(a, PCI_CFG_COMMAND, pci_cfg_read16(a, PCI_CFG_COMMAND) | PCI_CMD_INTX_OFF);
}

/* Program f's MSI with the message (addr, data), masked, one vector. */
static void msi_program(const struct pci_func *f, uint64_t addr, uint32_t data)
{
    unsigned off = f->msi_off;
    uint16_t c = pci_cfg_read16(f->addr, off + MSI_CTRL) & ~(MSI_CTRL_ENABLE | MSI_CTRL_MME);
    pci_cfg_write16(f->addr, off + MSI_CTRL, c);
    pci_cfg_write32(f->addr, off + MSI_ADDR, (uint32_t)addr);
    if (f->msi_ctrl & MSI_CTRL_64BIT) {
        pci_cfg_write32(f->addr, off + MSI_ADDR + 4, (uint32_t)(addr >> 32));
        pci_cfg_write16(f->addr, off + 0x0c, (uint16_t)data);
    } else {
        pci_cfg_write16(f->addr, off + 0x08, (uint16_t)data);
    }
    intx_disable(f->addr);
    if (f->msi_ctrl & MSI_CTRL_PVM) {
        msi_mask(f, true);
        pci_cfg_write16(f->addr, off + MSI_CTRL, c | MSI_CTRL_ENABLE);
    }
}

/* Program entry i of f's MSI-X table with (addr, data), masked, and turn
 * MSI-X on (the first time with every entry masked). */
static void msix_program(const struct pci_func *f, unsigned i, uint64_t addr, uint32_t data)
{
    unsigned off = f->msix_off;
    uint16_t c = pci_cfg_read16(f->addr, off + MSIX_CTRL);
    pci_cfg_write16(f->addr, off + MSIX_CTRL, c | MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    for (unsigned j = 0; !(c & MSIX_CTRL_ENABLE) && j < f->msix_size; j++)
        msix_mask(f, j, true);
    msix_mask(f, i, true);
    volatile uint32_t *e = msix_entry(f, i);
    e[0] = (uint32_t)addr;
    e[1] = (uint32_t)(addr >> 32);
    e[2] = data;
    intx_disable(f->addr);
    pci_cfg_write16(f->addr, off + MSIX_CTRL, (c | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FMASK);
}

int irq_arch_route(struct irq *q)
{
    const struct pci_func *f = pci_func_by_addr(q->dev);
    int r;
    if (!f || (q->kind == IRQ_MSI ? !f->msi_off || q->index != 0 : !f->msix_off || q->index >= f->msix_size))
        return -E_INVAL;
    if (q->kind == IRQ_MSIX) {
        paddr_t t = msix_table_pa(f);
        if (!t || !(pci_cfg_read16(f->addr, PCI_CFG_COMMAND) & PCI_CMD_MEM))
            return -E_INVAL;
        if ((r = vm_kernel_map_mmio(t, (uint64_t)f->msix_size * MSIX_ENTRY)) < 0)
            return r == -E_RANGE ? -E_INVAL : r;
    }
    uint64_t addr;
    uint32_t data;
    if ((r = msi_compose(q, &addr, &data)) < 0)
        return r;
    if (q->kind == IRQ_MSI)
        msi_program(f, addr, data);
    else
        msix_program(f, q->index, addr, data);
    return 0;
}

void irq_arch_mask(struct irq *q, bool masked)
{
    if (q->kind == IRQ_MSI)
        msi_mask(pci_func_by_addr(q->dev), masked);
    else
        msix_mask(pci_func_by_addr(q->dev), q->index, masked);
}

void irq_arch_unroute(struct irq *q, bool last)
{
    irq_arch_mask(q, true);
    const struct pci_func *f = pci_func_by_addr(q->dev);
    unsigned ctrl = q->kind == IRQ_MSI ? f->msi_off + MSI_CTRL : f->msix_off + MSIX_CTRL;
    uint16_t enable = q->kind == IRQ_MSI ? MSI_CTRL_ENABLE : MSIX_CTRL_ENABLE;
    if (last)
        pci_cfg_write16(f->addr, ctrl, pci_cfg_read16(f->addr, ctrl) & ~enable);
    if (q->irte >= 0)
        iommu_irte_free((unsigned)q->irte);
    q->irte = -1;
}
