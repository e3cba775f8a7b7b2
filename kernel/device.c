/*
 * Device capabilities (see <veneer/dev.h> and device.h).  Each PCI
 * endpoint the kernel hands out gets a kernel-held root capability; the
 * first environment receives a derived copy of each, so every device
 * capability in the system can be revoked by whoever gave it.
 *
 * Holding: the first device capability that programs a device (config
 * write, DMA mapping, interrupt) becomes its holder.  If an IOMMU covers
 * the function, holding creates its domain, charged to the holder's
 * environment, and attaches the function to it; until then its DMA is
 * blocked.  The holder lets go when its capability is deleted (revoked,
 * or its environment died) or by dev_reset, and the device is reset: no
 * device stays programmed to DMA into memory its holder no longer owns.
 *
 * The config-space filter keeps the kernel's registers the kernel's: BARs
 * (so a BAR cannot be moved over RAM or another device), bridge and
 * capability structures (MSI address/data, MSI-X, the vendor-specific
 * capabilities that virtio uses as a window into its BARs), extended space
 * (SR-IOV), and bus mastering without a domain.
 */
#include <veneer/errors.h>
#include "bind.h"
#include "console.h"
#include "device.h"
#include "env.h"
#include "iommu.h"
#include "irq.h"
#include "klib.h"
#include "panic.h"
#include "pmem.h"
#include "sriov.h"

#define PCIE_DEVCTL   0x08
#define PCIE_DEVCTL_FLR 0x8000

static struct {
    unsigned n;
    struct device dev[VN_DEV_MAX];
} devices;                      /* the table is built at boot; entries change under the kernel lock */

static uint32_t io_gen;         /* changes of any environment's port grants (never reused) */

static bool handed_out(const struct pci_func *f)
{
    return f->header == PCI_HDR_NORMAL && f->class != 0x06   /* no bridges of any kind */
           && !f->kernel_owned;                               /* nor what the kernel's drivers drive */
}

void device_init(void)
{
    unsigned skipped = 0;
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (handed_out(pci_func_get(i)) && !device_add(pci_func_get(i)))
            skipped++;
    unsigned confined = 0;
    for (unsigned i = 0; i < devices.n; i++)
        confined += iommu_covers(devices.dev[i].f->addr);
    kprintf("device: %u function%s for user space, %u with DMA confined by the IOMMU%s", devices.n,
            devices.n == 1 ? "" : "s", confined, confined < devices.n ? " (the others never bus-master)" : "");
    if (skipped)
        kprintf(", %u more not handed out (table full)", skipped);
    kprintf("\n");
}

struct device *device_by_addr(pci_addr_t a)
{
    for (unsigned i = 0; i < devices.n; i++)
        if (devices.dev[i].f->addr == a)
            return &devices.dev[i];
    return NULL;
}

unsigned device_room(void)
{
    return VN_DEV_MAX - devices.n;
}

struct device *device_add(const struct pci_func *f)
{
    if (devices.n == VN_DEV_MAX)
        return NULL;
    struct device *d = &devices.dev[devices.n];
    *d = (struct device){.f = f};
    cap_init_kernel_root(&d->root, CAP_DEVICE, CR_ALL, devices.n, 1);
    devices.n++;
    return d;
}

unsigned device_grant_boot(struct env *e)
{
    for (unsigned i = 0; i < devices.n; i++) {
        capref_t ref;
        if (cap_derive(&devices.dev[i].root, env_caps(e), CR_ALL, &ref) < 0 || ref != (capref_t)(VN_CAP_DEV_FIRST + i))
            panic("boot: cannot give device %u to the first environment", i);
    }
    return devices.n;
}

struct device *device_of(const struct cap *c)
{
    unsigned i = c->type == CAP_DEVICE ? (unsigned)c->obj : c->type == CAP_REGS ? c->regs.dev : c->irq.dev;
    if (i >= devices.n)
        panic("device_of: capability names device %u of %u", i, devices.n);
    return &devices.dev[i];
}

int device_claim(struct device *d, struct cap *c, struct env *e)
{
    e = env_space(e);   /* a thread's objects are its space's (env_caps) */
    if (d->holder)
        return d->holder == c ? 0 : -E_BUSY;
    if (iommu_covers(d->f->addr)) {
        struct iommu_domain *dom;
        int r = iommu_domain_create(e, &dom);
        if (r < 0)
            return r;
        if ((r = iommu_attach(dom, d->f->addr)) < 0) {
            iommu_domain_destroy(dom);
            return r;
        }
        d->dom = dom;
    }
    d->holder = c;
    d->owner = e;
    return 0;
}

/* The command register the kernel leaves a function with: decoding what
 * placement gave it addresses, no bus mastering, no INTx. */
static uint16_t idle_command(const struct pci_func *f)
{
    uint16_t cmd = VN_CMD_INTX_OFF;
    for (unsigned b = 0; b < f->nbars; b++)
        if (f->bar[b].placed)
            cmd |= (f->bar[b].flags & PCI_BAR_IO) ? VN_CMD_IO : VN_CMD_MEM;
    return cmd;
}

/* Function-level reset, then restore what the reset cleared (BARs). */
static void function_reset(const struct pci_func *f)
{
    pci_addr_t a = f->addr;
    uint32_t bars[6];
    for (unsigned b = 0; b < f->nbars; b++)
        bars[b] = pci_cfg_read32(a, PCI_CFG_BAR0 + 4 * b);
    uint16_t ctl = pci_cfg_read16(a, f->pcie_off + PCIE_DEVCTL);
    pci_cfg_write16(a, f->pcie_off + PCIE_DEVCTL, ctl | PCIE_DEVCTL_FLR);
    /* The function must answer again within 100 ms (PCIe); QEMU resets at once. */
    uint64_t until = arch_tsc() + arch_tsc_hz() / 10;
    while (pci_cfg_read32(a, 0x08) == 0xffffffff && arch_tsc() < until)    /* not the IDs: a VF's read 0xffff */
        ;
    for (unsigned b = 0; b < f->nbars; b++)
        pci_cfg_write32(a, PCI_CFG_BAR0 + 4 * b, bars[b]);
}

void device_reset(struct device *d)
{
    const struct pci_func *f = d->f;
    if (d->nvfs)
        sriov_disable(d);
    pci_cfg_write16(f->addr, PCI_CFG_COMMAND, idle_command(f) & ~VN_CMD_MASTER);
    irq_unbind_dev(f->addr);
    if (f->flr && f->pcie_off)
        function_reset(f);
    pci_cfg_write16(f->addr, PCI_CFG_COMMAND, idle_command(f));
    bind_dma_unmap_all(d);
    if (d->dom)
        iommu_domain_destroy(d->dom);
    d->dom = NULL;
    d->holder = NULL;
    d->owner = NULL;
}

int device_io_grant(struct env *t, struct cap *c)
{
    for (unsigned i = 0; i < VN_IO_RANGES; i++) {
        struct io_grant *g = &t->io[i];
        if (g->cap)
            continue;
        *g = (struct io_grant){.cap = c, .port = (uint16_t)c->obj, .n = (uint16_t)c->regs.n, .env = t,
                               .next = c->bindings};
        c->bindings = g;
        t->io_gen = ++io_gen;
        return 0;
    }
    return -E_NOSPC;
}

/* Unlink grant g from its capability's list and free it. */
static void io_grant_drop(struct io_grant *g)
{
    SLIST_UNLINK((struct io_grant **)&g->cap->bindings, g, next);
    g->env->io_gen = ++io_gen;
    g->cap = NULL;
}

void device_io_env_gone(struct env *t)
{
    for (unsigned i = 0; i < VN_IO_RANGES; i++)
        if (t->io[i].cap)
            io_grant_drop(&t->io[i]);
}

void device_cap_release(struct cap *c)
{
    if (c->type == CAP_REGS && c->regs.io) {
        while (c->bindings)
            io_grant_drop(c->bindings);
        return;
    }
    if (c->type == CAP_REGS) {
        bind_release_cap(c);
        return;
    }
    if (c->type == CAP_IRQ) {
        struct irq *q = irq_slot((unsigned)c->obj);
        if (q && q->kind && q->gen == c->irq.gen)
            irq_unbind(q);
        return;
    }
    struct device *d = device_of(c);
    if (d->holder == c)
        device_reset(d);
}

/* Length of the capability at ptr whose body the filter protects, or 0. */
static unsigned protected_cap_len(pci_addr_t a, unsigned ptr)
{
    switch (pci_cfg_read8(a, ptr)) {
    case PCI_CAPID_MSI: {
        uint16_t ctrl = pci_cfg_read16(a, ptr + 2);
        return 10 + ((ctrl & 0x80) ? 4 : 0) + ((ctrl & 0x100) ? 10 : 0);
    }
    case PCI_CAPID_MSIX:
        return 12;
    case PCI_CAPID_PCIE:
        return 0x3c;
    case PCI_CAPID_VENDOR:
        return MAX(3u, pci_cfg_read8(a, ptr + 2));
    default:
        return 0;
    }
}

/* Whether [off, off + width) in device-specific space touches a protected
 * capability (or the list cannot be walked safely). */
static bool hits_protected_cap(const struct pci_func *f, unsigned off, unsigned width)
{
    if (f->caps & PCI_CAP_BROKEN)
        return true;
    pci_addr_t a = f->addr;
    unsigned ptr = pci_cfg_read8(a, PCI_CFG_CAPS) & 0xfc;
    for (unsigned n = 0; ptr && n < PCI_MAX_CAPS; n++) {
        if (ptr < PCI_CFG_DEVSPEC)
            return true;
        unsigned len = MAX(2u, protected_cap_len(a, ptr));   /* headers are read-only anyway */
        if (off < ptr + len && ptr < off + width)
            return true;
        ptr = pci_cfg_read8(a, ptr + 1) & 0xfc;
    }
    return ptr != 0;
}

int device_cfg_write_check(const struct device *d, unsigned off, unsigned width, uint32_t value, bool domain)
{
    if ((width != 1 && width != 2 && width != 4) || off % width || off >= 4096)
        return -E_INVAL;
    if (off >= PCI_CFG_EXT)
        return -E_PERM;                 /* extended space: SR-IOV, ACS, ... */
    if (off >= PCI_CFG_DEVSPEC)
        return hits_protected_cap(d->f, off, width) ? -E_PERM : 0;
    for (unsigned o = off; o < off + width; o++) {
        bool ok = o == PCI_CFG_COMMAND || o == PCI_CFG_COMMAND + 1 || o == PCI_CFG_STATUS || o == PCI_CFG_STATUS + 1 ||
                  o == PCI_CFG_CACHE || o == PCI_CFG_LATENCY || o == PCI_CFG_IRQ_LINE;
        if (!ok)
            return -E_PERM;
    }
    if (off <= PCI_CFG_COMMAND && off + width > PCI_CFG_COMMAND) {
        uint32_t cmd = value >> (8 * (PCI_CFG_COMMAND - off));
        if ((cmd & VN_CMD_MASTER) && !domain)
            return -E_NODEV;
    }
    return 0;
}

bool device_bar_page_reserved(const struct device *d, unsigned bar, uint64_t index)
{
    const struct pci_func *f = d->f;
    if (!(f->caps & PCI_CAP_MSIX))
        return false;
    uint64_t page = index * PAGE_SIZE;
    uint64_t t0 = ROUND_DOWN(f->msix_table_off, PAGE_SIZE), t1 = f->msix_table_off + (uint64_t)f->msix_size * 16;
    uint64_t p0 = ROUND_DOWN(f->msix_pba_off, PAGE_SIZE), p1 = f->msix_pba_off + ROUND_UP(f->msix_size, 64) / 8;
    return (bar == f->msix_table_bar && page >= t0 && page < t1) || (bar == f->msix_pba_bar && page >= p0 && page < p1);
}
