/*
 * The kernel as a home for the drivers in drivers/: drv.h implemented over
 * the kernel's own mechanisms (PCI config access, the physmap, page
 * allocation, IOMMU domains, irq_bind_kernel).  It is compiled into the
 * kernel image and runs in ring 0 under the kernel lock, but it is not
 * kernel mechanism: it exists only because drivers run in the kernel, it
 * is what a user-level driver environment replaces with the capabilities
 * of <veneer/dev.h>, and make size counts it apart ("driver home").
 *
 * The kernel owns each function a driver here probed: it is marked
 * kernel_owned, so device_init never hands it out as a capability.  Its
 * BARs are mapped uncached in the physmap.  DMA memory is kernel pages,
 * mapped at iova == physical address in a kernel-owned IOMMU domain the
 * function is attached to at probe (until then all its DMA is blocked);
 * identity addresses also keep a device that bypasses the IOMMU working
 * (virtio without ACCESS_PLATFORM).  On a machine with no IOMMU (the PC)
 * the device gets physical addresses and bus mastering with nothing to
 * confine it: the kernel's own drivers are trusted, as the kernel is.
 * Interrupts are MSI-X vectors bound to the driver's callbacks
 * (irq_bind_kernel), called under the kernel lock.
 *
 * drv_probe_all matches every endpoint against the table of drivers below
 * ({vendor, device, probe}, after JOS's pci.c); a function its driver
 * refuses is given back: interrupts unbound, domain gone, left to user
 * space.  Everything here runs under the kernel lock.
 */
#include <stdarg.h>
#include "arch.h"
#include <veneer/errors.h>
#include "drv.h"
#include "home_kernel.h"
#include "boot_info.h"
#include "console.h"
#include "iommu.h"
#include "irq.h"
#include "klib.h"
#include "panic.h"
#include "pci.h"
#include "pmem.h"
#include "nvme/nvme.h"
#include "virtio_net/virtio_net.h"
#include "vm.h"

#define DRV_DEV_MAX 8

struct drv_dev {
    const struct pci_func *f;
    const struct drv_driver *drv;
    struct iommu_domain *dom;       /* NULL: no IOMMU covers it, DMA to physical addresses */
    struct irq *irq[DRV_IRQ_MAX];   /* by MSI-X vector */
};

static const struct drv_driver *const drivers[] = {
    &virtio_net_driver,
    &nvme_driver,
};

static struct {
    unsigned n;
    struct drv_dev dev[DRV_DEV_MAX];
} drvs;                             /* kernel lock */

/* Give d's function back: interrupts and bus mastering off, no domain. */
static void drv_detach(struct drv_dev *d)
{
    drv_quiesce(d);
    if (d->dom)
        iommu_domain_destroy(d->dom);
    pci_set_kernel_owned(d->f->addr, false);
    *d = (struct drv_dev){0};
}

/* Attach f to drv (its domain, the kernel's) and probe it.  Errors: the
 * domain's (iommu_domain_create, iommu_attach) or the probe's. */
static int drv_attach(const struct pci_func *f, const struct drv_driver *drv)
{
    struct drv_dev *d = &drvs.dev[drvs.n];
    *d = (struct drv_dev){.f = f, .drv = drv};
    pci_set_kernel_owned(f->addr, true);
    int r = 0;
    if (iommu_covers(f->addr) && (r = iommu_domain_create(NULL, &d->dom)) == 0)
        r = iommu_attach(d->dom, f->addr);
    if (r == 0)
        r = drv->probe(d);
    if (r < 0) {
        drv_log(d, "not taken (error %d): left to user space", r);
        drv_detach(d);
        return r;
    }
    drvs.n++;
    return 0;
}

/* Whether the drv_skip=a,b list on the command line names driver `name`
 * or function `addr` (as bus:device.function, "00:07.0"), or blk=user
 * (net=user) names nvme's (virtio_net's) class: those functions are left to user space (a program
 * that drives them itself, a driver environment, a test). */
static bool drv_skipped(const char *name, pci_addr_t addr)
{
    static const char hex[] = "0123456789abcdef";
    char list[64];
    if (strcmp(name, "nvme") == 0 && cmdline_get("blk", list, sizeof(list)) && strcmp(list, "user") == 0)
        return true;                    /* blk=user: a driver environment drives the disks */
    if (strcmp(name, "virtio_net") == 0 && cmdline_get("net", list, sizeof(list)) && strcmp(list, "user") == 0)
        return true;                    /* net=user: netmux drives the NIC */
    if (!cmdline_get("drv_skip", list, sizeof(list)))
        return false;
    unsigned bus = PCI_BUS(addr), dev = PCI_DEV(addr);
    char bdf[8] = {hex[bus >> 4], hex[bus & 15], ':', hex[dev >> 4], hex[dev & 15], '.', hex[PCI_FN(addr) & 7], 0};
    const char *names[2] = {name, bdf};
    for (const char *p = list; *p;) {
        for (unsigned k = 0; k < 2; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(p, names[k], n) == 0 && (p[n] == ',' || p[n] == 0))
                return true;
        }
        while (*p && *p != ',')
            p++;
        if (*p)
            p++;
    }
    return false;
}

void drv_probe_all(void)
{
    for (unsigned i = 0; i < pci_func_count(); i++) {
        const struct pci_func *f = pci_func_get(i);
        for (unsigned k = 0; k < ARRAY_SIZE(drivers) && f->header == PCI_HDR_NORMAL; k++) {
            if (f->vendor != drivers[k]->vendor || f->device != drivers[k]->device)
                continue;
            if (drv_skipped(drivers[k]->name, f->addr))
                kprintf("drv: %s: %02x:%02x.%x left to user space (drv_skip, blk=, net=user)\n", drivers[k]->name,
                        PCI_BUS(f->addr), PCI_DEV(f->addr), PCI_FN(f->addr));
            else if (drvs.n == DRV_DEV_MAX)
                kprintf("drv: %s: no room for %02x:%02x.%x\n", drivers[k]->name, PCI_BUS(f->addr),
                        PCI_DEV(f->addr), PCI_FN(f->addr));
            else
                drv_attach(f, drivers[k]);
            break;
        }
    }
}

uint32_t drv_cfg_read(struct drv_dev *d, unsigned off, unsigned width)
{
    if ((width != 1 && width != 2 && width != 4) || off % width || off >= 4096)
        return 0xffffffffu;
    return pci_cfg_read(d->f->addr, off, width);
}

int drv_cfg_write(struct drv_dev *d, unsigned off, unsigned width, uint32_t v)
{
    if ((width != 1 && width != 2 && width != 4) || off % width)
        return -E_INVAL;
    if (width != 2 || (off != DRV_CFG_COMMAND && off != DRV_CFG_STATUS))
        return -E_PERM;
    pci_cfg_write16(d->f->addr, off, (uint16_t)v);
    return 0;
}

int drv_bar_map(struct drv_dev *d, unsigned bar, volatile void **regs, uint64_t *size)
{
    if (bar >= d->f->nbars)
        return -E_INVAL;
    const struct pci_bar *b = &d->f->bar[bar];
    if (!b->placed || !b->size || (b->flags & PCI_BAR_IO))
        return -E_INVAL;
    int r = vm_kernel_map_mmio(b->base, b->size);
    if (r < 0)
        return r == -E_RANGE ? -E_INVAL : r;
    *regs = P2V(b->base);
    *size = b->size;
    return 0;
}

int drv_dma_alloc(struct drv_dev *d, size_t len, struct drv_dma *out)
{
    if (len == 0 || len > DRV_DMA_MAX_PAGES * PAGE_SIZE)
        return -E_INVAL;
    uint64_t n = ROUND_UP(len, PAGE_SIZE) / PAGE_SIZE;
    paddr_t pa = page_alloc_contig(n);
    if (!pa)
        return -E_NOMEM;
    for (uint64_t i = 0; d->dom && i < n; i++) {
        int r = iommu_map(d->dom, pa + i * PAGE_SIZE, pa + i * PAGE_SIZE, true);
        if (r < 0) {
            paddr_t old;
            while (i-- > 0)
                iommu_unmap(d->dom, pa + i * PAGE_SIZE, &old);
            for (uint64_t k = 0; k < n; k++)
                page_free(pa + k * PAGE_SIZE);
            return r;
        }
    }
    *out = (struct drv_dma){.va = P2V(pa), .iova = pa, .len = n * PAGE_SIZE};
    return 0;
}

void drv_dma_free(struct drv_dev *d, struct drv_dma *m)
{
    paddr_t pa = V2P(m->va), old;
    for (uint64_t off = 0; off < m->len; off += PAGE_SIZE) {
        if (d->dom)
            iommu_unmap(d->dom, m->iova + off, &old);
        page_free(pa + off);
    }
    *m = (struct drv_dma){0};
}

int drv_irq_bind(struct drv_dev *d, unsigned vector, void (*fn)(void *ctx), void *ctx)
{
    if (vector >= DRV_IRQ_MAX)
        return -E_INVAL;
    if (d->irq[vector])
        return -E_BUSY;
    return irq_bind_kernel(IRQ_MSIX, d->f->addr, vector, fn, ctx, &d->irq[vector]);
}

void drv_irq_ack(struct drv_dev *d, unsigned vector)
{
    if (vector < DRV_IRQ_MAX && d->irq[vector])
        irq_ack(d->irq[vector]);
}

void drv_quiesce(struct drv_dev *d)
{
    pci_addr_t a = d->f->addr;
    pci_cfg_write16(a, DRV_CFG_COMMAND, pci_cfg_read16(a, DRV_CFG_COMMAND) & ~DRV_CMD_MASTER);
    for (unsigned v = 0; v < DRV_IRQ_MAX; v++) {
        if (d->irq[v])
            irq_unbind(d->irq[v]);
        d->irq[v] = NULL;
    }
}

uint64_t drv_time_us(void)
{
    return arch_tsc() / (arch_tsc_hz() / 1000000 ? arch_tsc_hz() / 1000000 : 1);
}

bool drv_kernel_translated(struct drv_dev *d)
{
    return d->dom != NULL;
}

int drv_kernel_dma_map(struct drv_dev *d, uint64_t iova, paddr_t pa, bool device_writes)
{
    return d->dom ? iommu_map(d->dom, iova, pa, device_writes) : 0;
}

void drv_kernel_dma_unmap(struct drv_dev *d, uint64_t iova)
{
    paddr_t old;
    if (d->dom && iommu_unmap(d->dom, iova, &old) < 0)
        panic("drv_kernel_dma_unmap: nothing mapped at %#lx", iova);
}

const void *drv_dma_peek(struct drv_dev *d, uint64_t iova)
{
    paddr_t pa = iova - iova % PAGE_SIZE;
    bool w;
    if (d->dom && iommu_lookup(d->dom, iova - iova % PAGE_SIZE, &pa, &w) < 0)
        return NULL;
    return (const uint8_t *)P2V(pa) + iova % PAGE_SIZE;
}

bool drv_cmdline_get(const char *key, char *buf, size_t len)
{
    return cmdline_get(key, buf, len);
}

void drv_log(struct drv_dev *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kprintf("%s %02x:%02x.%x: ", d->drv->name, PCI_BUS(d->f->addr), PCI_DEV(d->f->addr), PCI_FN(d->f->addr));
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
}
