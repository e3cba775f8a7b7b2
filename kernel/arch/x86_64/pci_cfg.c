/*
 * PCI configuration space on x86: ECAM when the ACPI MCFG describes it
 * (each function's 4 KiB of config space memory-mapped, uncached, at
 * base + bus << 20 | device << 15 | function << 12), else the legacy
 * configuration mechanism #1 (address to port 0xcf8, data at 0xcfc-0xcff),
 * which reaches only the first 256 bytes of segment 0.
 *
 * ECAM windows are mapped a bus (1 MiB) at a time, when a bus is first
 * touched: mapping a whole 256-bus window up front would cost half a
 * megabyte of page tables for buses that are never there.  The 0xcf8
 * address and data accesses are one operation only because callers hold
 * the kernel lock.  pci_platform_init also prints what ACPI said about
 * the machine's devices (acpi_devices_print).
 */
#include "../../console.h"
#include "../../pci.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "acpi.h"
#include "x86.h"

#define CF8_ADDR 0xcf8
#define CF8_DATA 0xcfc
#define CF8_ENABLE 0x80000000u

struct ecam_window {
    paddr_t base;               /* bus 0's config space (ACPI MCFG) */
    uint16_t seg;
    uint8_t bus_start, bus_end;
    uint64_t mapped[4];         /* buses already in the physmap, uncached */
};

static struct {
    unsigned nwin;
    struct ecam_window win[ACPI_MAX_MCFG];
    bool legacy;                /* mechanism #1 answers */
} cfg;                          /* set by pci_platform_init; kernel lock */

static bool width_ok(unsigned off, unsigned width)
{
    return (width == 1 || width == 2 || width == 4) && off % width == 0 && off + width <= 4096;
}

static uint32_t ones(unsigned width)
{
    return width >= 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

/* The window holding a's config space, or NULL. */
static struct ecam_window *window(pci_addr_t a)
{
    for (unsigned i = 0; i < cfg.nwin; i++) {
        struct ecam_window *w = &cfg.win[i];
        if (w->seg == PCI_SEG(a) && PCI_BUS(a) >= w->bus_start && PCI_BUS(a) <= w->bus_end)
            return w;
    }
    return NULL;
}

/* The mapped address of a's config space at off in w, mapping its bus
 * first if needed; NULL if the bus cannot be mapped. */
static volatile void *ecam_ptr(struct ecam_window *w, pci_addr_t a, unsigned off)
{
    unsigned bus = PCI_BUS(a);
    paddr_t bus_pa = w->base + ((paddr_t)bus << 20);
    if (!(w->mapped[bus / 64] & (1ul << (bus % 64)))) {
        if (vm_kernel_map_mmio(bus_pa, 1u << 20) < 0)
            return NULL;
        w->mapped[bus / 64] |= 1ul << (bus % 64);
    }
    return (volatile uint8_t *)P2V(bus_pa) + ((a & 0xff) << 12) + off;
}

static void cf8_select(pci_addr_t a, unsigned off)
{
    outl(CF8_ADDR, CF8_ENABLE | (a & 0xffff) << 8 | (off & 0xfc));
}

uint32_t pci_cfg_read(pci_addr_t a, unsigned off, unsigned width)
{
    if (!width_ok(off, width))
        return ones(width);
    struct ecam_window *w = window(a);
    if (w) {
        volatile void *p = ecam_ptr(w, a, off);
        if (!p)
            return ones(width);
        return width == 1 ? *(volatile uint8_t *)p : width == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
    }
    if (!cfg.legacy || PCI_SEG(a) != 0 || off >= 256)
        return ones(width);
    cf8_select(a, off);
    return width == 1 ? inb(CF8_DATA + (off & 3)) : width == 2 ? inw(CF8_DATA + (off & 2)) : inl(CF8_DATA);
}

void pci_cfg_write(pci_addr_t a, unsigned off, unsigned width, uint32_t v)
{
    if (!width_ok(off, width))
        return;
    struct ecam_window *w = window(a);
    if (w) {
        volatile void *p = ecam_ptr(w, a, off);
        if (!p)
            return;
        if (width == 1)
            *(volatile uint8_t *)p = (uint8_t)v;
        else if (width == 2)
            *(volatile uint16_t *)p = (uint16_t)v;
        else
            *(volatile uint32_t *)p = v;
        return;
    }
    if (!cfg.legacy || PCI_SEG(a) != 0 || off >= 256)
        return;
    cf8_select(a, off);
    if (width == 1)
        outb(CF8_DATA + (off & 3), (uint8_t)v);
    else if (width == 2)
        outw(CF8_DATA + (off & 2), (uint16_t)v);
    else
        outl(CF8_DATA, v);
}

/* Mechanism #1 is there if the address port keeps what is written to it. */
static bool cf8_present(void)
{
    uint32_t saved = inl(CF8_ADDR);
    outl(CF8_ADDR, CF8_ENABLE);
    bool ok = inl(CF8_ADDR) == CF8_ENABLE;
    outl(CF8_ADDR, saved);
    return ok;
}

/* A window the firmware described but never enabled reads as all ones
 * where the 0xcf8 ports see a device: it must not be used. */
static bool ecam_answers(struct ecam_window *w)
{
    pci_addr_t root = PCI_ADDR(w->seg, w->bus_start, 0, 0);
    volatile uint16_t *p = ecam_ptr(w, root, 0);
    if (p && *p != 0xffff)
        return true;
    if (!cfg.legacy || w->seg != 0 || w->bus_start != 0)
        return p != NULL;
    cf8_select(root, 0);
    return inw(CF8_DATA) == 0xffff && p;
}

void pci_platform_init(struct pci_platform *p)
{
    const struct acpi_devices *d = acpi_devices_init();
    acpi_devices_print(d);
    *p = (struct pci_platform){.iommus = d->ndrhd};
    cfg.legacy = cf8_present();
    for (unsigned i = 0; i < d->nmcfg && cfg.nwin < PCI_MAX_SEGMENTS; i++) {
        const struct acpi_mcfg *m = &d->mcfg[i];
        struct ecam_window *w = &cfg.win[cfg.nwin];
        *w = (struct ecam_window){m->base, m->segment, m->bus_start, m->bus_end, {0}};
        if (!ecam_answers(w)) {
            kprintf("pci: ECAM at %lx does not answer: not used\n", m->base);
            continue;
        }
        cfg.nwin++;
        p->seg[p->nseg++] = (struct pci_segment){m->segment, m->bus_start, m->bus_end, true};
    }
    if (p->nseg == 0 && cfg.legacy)
        p->seg[p->nseg++] = (struct pci_segment){0, 0, 255, false};
    if (p->nseg == 0)
        kprintf("pci: no configuration access (no MCFG, no 0xcf8 ports): no devices\n");
    else if (!cfg.nwin)
        kprintf("pci: configuration through the 0xcf8 ports, no extended space\n");
}
