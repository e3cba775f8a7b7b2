/*
 * Syscall glue for devices: device capabilities, their register,
 * interrupt and DMA powers.  Every call decodes and checks all of its
 * arguments first; the state it changes (holding, a domain, bindings, an
 * interrupt) is made only once nothing more can be refused, and undone if
 * the last step (a capability slot) fails.
 */
#include <veneer/errors.h>
#include "bind.h"
#include "bind_index.h"
#include "device.h"
#include "env.h"
#include "iommu.h"
#include "irq.h"
#include "klib.h"
#include "page_meta.h"
#include "panic.h"
#include "pmem.h"
#include "sriov.h"
#include "sys_common.h"
#include "syscall_decl.h"
#include "user_copy.h"

/* The device of the caller's capability ref, which must hold `rights`;
 * with `program`, the call programs it, so it must be free or held through
 * this capability.  Errors: cap_lookup's, -E_BUSY (held elsewhere). */
static int device_lookup(capref_t ref, unsigned rights, bool program, struct cap **c, struct device **d)
{
    int r = env_cap_lookup(arch_curenv(), ref, CAP_DEVICE, rights, c);
    if (r < 0)
        return r;
    *d = device_of(*c);
    return program && (*d)->holder && (*d)->holder != *c ? -E_BUSY : 0;
}

long sys_dev_info(capref_t dev, struct vn_devinfo *info)
{
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_READ, false, &c, &d);
    if (r < 0)
        return r;
    const struct pci_func *f = d->f;
    iommu_fault_serve();
    struct vn_devinfo in = {
        .addr = f->addr, .vendor = f->vendor, .device = f->device, .class = f->class,
        .subclass = f->subclass, .progif = f->progif, .revision = f->revision, .nbars = f->nbars,
        .msi_vectors = (f->caps & PCI_CAP_MSI) ? (uint8_t)(1u << ((f->msi_ctrl >> 1) & 7)) : 0,
        .msix_size = (f->caps & PCI_CAP_MSIX) ? f->msix_size : 0,
        .flags = (iommu_covers(f->addr) ? VN_DEVF_IOMMU : 0) | (f->flr ? VN_DEVF_FLR : 0) | (f->vf ? VN_DEVF_VF : 0) |
                 (d->holder ? VN_DEVF_HELD : 0) | (d->holder == c ? VN_DEVF_HELD_BY_ME : 0),
        .msix_table_bar = f->msix_table_bar, .msix_pba_bar = f->msix_pba_bar,
        .msix_table_off = f->msix_table_off, .msix_pba_off = f->msix_pba_off,
        .dma_faults = iommu_fault_count(f->addr), .dma_pages = d->dma_pages,
    };
    for (unsigned b = 0; b < f->nbars && b < 6; b++) {
        in.bar[b].base = f->bar[b].base;
        in.bar[b].size = f->bar[b].size;
        in.bar[b].flags = ((f->bar[b].flags & PCI_BAR_IO) ? VN_BAR_IO : 0) |
                          ((f->bar[b].flags & PCI_BAR_MEM64) ? VN_BAR_MEM64 : 0) |
                          ((f->bar[b].flags & PCI_BAR_PREFETCH) ? VN_BAR_PREFETCH : 0) |
                          (f->bar[b].placed ? VN_BAR_PLACED : 0);
    }
    return copy_to_user((uint64_t)info, &in, sizeof(in));
}

long sys_dev_cfg_read(capref_t dev, unsigned off, unsigned width)
{
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_READ, false, &c, &d);
    if (r < 0)
        return r;
    if ((width != 1 && width != 2 && width != 4) || off % width || off >= 4096)
        return -E_INVAL;
    return pci_cfg_read(d->f->addr, off, width);
}

long sys_dev_cfg_write(capref_t dev, unsigned off, unsigned width, uint32_t value)
{
    struct env *e = arch_curenv();
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_WRITE, true, &c, &d);
    if (r < 0 || (r = device_cfg_write_check(d, off, width, value, d->dom || iommu_covers(d->f->addr))) < 0 ||
        (r = device_claim(d, c, e)) < 0)
        return r;
    pci_cfg_write(d->f->addr, off, width, value);
    return 0;
}

long sys_dev_regs(capref_t dev, unsigned bar, unsigned rights)
{
    struct env *e = arch_curenv();
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_MAP, false, &c, &d);
    if (r < 0)
        return r;
    if (rights & ~(unsigned)c->rights & (CR_READ | CR_WRITE | CR_MAP | CR_GRANT))
        return -E_PERM;
    const struct pci_func *f = d->f;
    if (bar >= f->nbars || !f->bar[bar].placed ||
        (rights & ~(CR_READ | CR_WRITE | CR_MAP | CR_GRANT)))
        return -E_INVAL;
    bool io = f->bar[bar].flags & PCI_BAR_IO;
    uint64_t base = io ? f->bar[bar].base : f->bar[bar].base / PAGE_SIZE;
    uint64_t n = io ? f->bar[bar].size : ROUND_UP(f->bar[bar].size, PAGE_SIZE) / PAGE_SIZE;
    struct cap probe = {.regs = {.n = (uint32_t)n, .dev = (uint16_t)c->obj, .bar = (uint8_t)bar, .io = io}};
    capref_t ref;
    if ((r = cap_derive_object(c, env_caps(e), CAP_REGS, rights, base, probe.count, &ref)) < 0)
        return r;
    return ref;
}

long sys_dev_irq(capref_t dev, unsigned kind, unsigned index, capref_t notify, uint64_t bits)
{
    struct env *e = arch_curenv();
    struct cap *c, *nc;
    struct device *d;
    int r = device_lookup(dev, CR_CONTROL, true, &c, &d);
    if (r < 0 || (r = env_cap_lookup(e, notify, CAP_NOTIFY, CR_WRITE, &nc)) < 0)
        return r;
    if ((kind != VN_IRQ_MSI && kind != VN_IRQ_MSIX) || !bits || (bits & ~VN_NOTIFY_BITS))
        return -E_INVAL;
    if ((r = device_claim(d, c, e)) < 0)
        return r;
    struct irq *q;
    if ((r = irq_bind(kind == VN_IRQ_MSI ? IRQ_MSI : IRQ_MSIX, d->f->addr, index, (struct notify *)nc->obj, bits,
                      &q)) < 0)
        return r;
    unsigned slot = 0;
    while (irq_slot(slot) != q)
        slot++;
    struct cap probe = {.irq = {.gen = q->gen, .dev = (uint16_t)c->obj}};
    capref_t ref;
    if ((r = cap_derive_object(c, env_caps(e), CAP_IRQ, CR_WRITE | CR_GRANT, slot, probe.count, &ref)) < 0) {
        irq_unbind(q);
        return r;
    }
    return ref;
}

/* The live interrupt behind an interrupt capability.  Errors: as
 * cap_lookup, -E_NOENT (its device was reset since). */
static int irq_lookup(capref_t ref, struct irq **q)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), ref, CAP_IRQ, CR_WRITE, &c);
    if (r < 0)
        return r;
    *q = irq_slot((unsigned)c->obj);
    return *q && (*q)->kind && (*q)->gen == c->irq.gen ? 0 : -E_NOENT;
}

long sys_irq_ack(capref_t irq)
{
    struct irq *q;
    int r = irq_lookup(irq, &q);
    if (r < 0)
        return r;
    irq_ack(q);
    return 0;
}

long sys_irq_mask(capref_t irq, unsigned masked)
{
    struct irq *q;
    int r = irq_lookup(irq, &q);
    if (r < 0)
        return r;
    irq_set_mask(q, masked != 0);
    return 0;
}

long sys_dma_map(capref_t dev, capref_t pages, uint64_t iova, unsigned prot)
{
    struct env *caller = arch_curenv(), *e = env_space(caller);    /* a thread's device is its space's */
    struct cap *c, *pc;
    struct device *d;
    unsigned need = CR_MAP | ((prot & VN_DMA_READ) ? CR_READ : 0) | ((prot & VN_DMA_WRITE) ? CR_WRITE : 0);
    int r = device_lookup(dev, CR_MAP, true, &c, &d);
    if (r < 0 || (r = env_cap_lookup(caller, pages, CAP_PAGE, need, &pc)) < 0)
        return r;
    if (!iommu_covers(d->f->addr))
        return -E_NODEV;
    uint64_t n = pc->count;
    if ((page_info[pc->obj].flags & VN_PI_KERNEL) || (page_info[pc->obj + n - 1].flags & VN_PI_KERNEL))
        return -E_PERM;     /* boot modules: one capability covers all of one */
    if (!prot || (prot & ~(VN_DMA_READ | VN_DMA_WRITE)) || iova % PAGE_SIZE || n > 512 ||
        iova + n * PAGE_SIZE < iova || iova + n * PAGE_SIZE > iommu_iova_limit())
        return -E_INVAL;
    /* Decode the rest: the addresses free, the worst-case cost covered. */
    uint64_t worst = (d->holder ? 0 : 1) + bind_records_worst(n), last_region = ~0ul;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t va = iova + i * PAGE_SIZE;
        struct binding **slot = d->holder ? bind_index_slot(&d->dma_index, e, va, false, NULL) : NULL;
        if (slot && *slot)
            return -E_EXIST;
        if (va >> 21 != last_region)
            worst += 2 + bind_index_missing(d->dma_index, va);
        last_region = va >> 21;
    }
    if (worst > env_room(e))
        return -E_QUOTA;
    if (page_free_count() < worst + 1)
        return -E_NOMEM;
    if ((r = device_claim(d, c, e)) < 0)
        return r;
    for (uint64_t i = 0; i < n; i++)
        if ((r = bind_dma_map(d, e, iova + i * PAGE_SIZE, pc, i, prot & VN_DMA_WRITE)) < 0)
            panic("dma_map: page %lu failed (%d) after the checks", i, r);
    return (long)n;
}

long sys_dma_unmap(capref_t dev, uint64_t iova, size_t npages)
{
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_MAP, true, &c, &d);
    if (r < 0)
        return r;
    if (iova % PAGE_SIZE || npages > VN_RANGE_MAX || iova + npages * PAGE_SIZE < iova)
        return -E_INVAL;
    long removed = 0;
    for (size_t i = 0; d->holder && i < npages; i++)
        removed += bind_dma_unmap(d, iova + i * PAGE_SIZE);
    return removed;
}

long sys_dev_ports(capref_t env, capref_t regs)
{
    struct env *t;
    struct cap *c;
    int r = sys_env_target(env, CR_MAP, &t);
    if (r < 0 || (r = env_cap_lookup(arch_curenv(), regs, CAP_REGS, CR_MAP | CR_READ | CR_WRITE, &c)) < 0)
        return r;
    if (!c->regs.io)
        return -E_INVAL;
    if (c->obj < 0x1000)
        return -E_PERM;     /* legacy ports (the kernel's UART, timers) are never handed out */
    return device_io_grant(t, c);
}

long sys_dev_reset(capref_t dev)
{
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_CONTROL, true, &c, &d);
    if (r < 0)
        return r;
    device_reset(d);
    return 0;
}

long sys_dev_sriov(capref_t dev, unsigned nvfs)
{
    struct env *e = arch_curenv();
    struct cap *c;
    struct device *d;
    int r = device_lookup(dev, CR_CONTROL, true, &c, &d);
    if (r < 0 || (r = sriov_check(d, nvfs)) < 0 ||
        (r = device_claim(d, c, e)) < 0)
        return r;
    if (nvfs)
        sriov_enable(d, nvfs);
    else
        sriov_disable(d);
    return nvfs;
}

long sys_dev_vf(capref_t dev, unsigned index)
{
    struct cap *c;
    struct device *d, *vf;
    int r = device_lookup(dev, CR_CONTROL, true, &c, &d);
    if (r < 0)
        return r;
    if (!(vf = sriov_vf(d, index)))
        return -E_INVAL;
    capref_t ref;
    if ((r = cap_derive(&vf->root, env_caps(arch_curenv()), c->rights, &ref)) < 0)
        return r;
    return ref;
}
