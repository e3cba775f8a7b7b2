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
 *
 * Where BARs may go (pci_platform_space): on a PC, between the top of
 * RAM below 4 GiB (and, on q35, the ECAM window) and the I/O APIC at
 * 0xfec00000 the chipset sends memory accesses to PCI; above that are the
 * interrupt controllers, HPET, the IOMMU and the flash, never for BARs.
 * I/O ports from 0xc000 are free of the chipset's and ISA's.
 */
#include "../../boot_info.h"
#include "../../console.h"
#include "../../klib.h"
#include "../../pci.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "acpi.h"
#include "x86.h"

#define CF8_ADDR 0xcf8
#define CF8_DATA 0xcfc
#define CF8_ENABLE 0x80000000u

#define MMIO_END    0xfec00000ull   /* the I/O APIC: where the PCI memory window ends */
#define LAPIC_BASE  0xfee00000ull
#define HPET_BASE   0xfed00000ull
#define FLASH_BASE  0xff000000ull   /* firmware and flash, to 4 GiB */
#define WINDOW_GRAIN (256ull << 20) /* the window starts on this */
#define IO_START    0xc000
#define GIB4        (1ull << 32)

_Static_assert(PCI_MAX_HOLES >= BOOT_MAX_REGIONS + ACPI_MAX_MCFG + ACPI_MAX_IOAPICS + ACPI_MAX_DRHD + 3,
              "pci_space holds every hole pci_platform_space makes");

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

static uint32_t ones(unsigned width) { return width >= 4 ? 0xffffffffu : (1u << (8 * width)) - 1; }

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
    *p = (struct pci_platform){0};
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

static void hole(struct pci_space *s, uint64_t base, uint64_t len)
{
    s->hole[s->nholes++] = (struct pci_range){base, base + len};
}

void pci_platform_space(struct pci_space *s)
{
    const struct acpi_devices *d = acpi_devices_init();
    *s = (struct pci_space){0};
    uint64_t ram_low = 0, start;
    for (unsigned i = 0; i < boot_info.nregions; i++) {
        const struct boot_region *r = &boot_info.regions[i];
        hole(s, r->base, r->len);
        if (r->usable && r->base < GIB4)
            ram_low = MAX(ram_low, MIN(r->base + r->len, GIB4));
    }
    start = ram_low;
    for (unsigned i = 0; i < d->nmcfg; i++) {
        const struct acpi_mcfg *m = &d->mcfg[i];
        paddr_t first = m->base + ((paddr_t)m->bus_start << 20), end = m->base + (((paddr_t)m->bus_end + 1) << 20);
        hole(s, first, end - first);
        if (end <= GIB4)
            start = MAX(start, end);
    }
    for (unsigned i = 0; i < d->nioapics; i++)
        hole(s, d->ioapics[i].addr, PAGE_SIZE);
    for (unsigned i = 0; i < d->ndrhd; i++)
        hole(s, d->drhd[i].base, PAGE_SIZE);
    hole(s, LAPIC_BASE, 1u << 20);
    hole(s, HPET_BASE, PAGE_SIZE);
    hole(s, FLASH_BASE, GIB4 - FLASH_BASE);
    s->mem = (struct pci_range){ROUND_UP(start, WINDOW_GRAIN), MMIO_END};
    s->io = (struct pci_range){IO_START, 0x10000};
    s->keep_mem[0] = (struct pci_range){ram_low, MMIO_END};
    s->keep_mem[1] = (struct pci_range){MAX(GIB4, pmem_top()), PHYSMAP_MAX};
    s->keep_io = (struct pci_range){0x1000, 0x10000};
}
