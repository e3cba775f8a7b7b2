/*
 * PCI enumeration: every function of every device on every bus reachable
 * from each segment's root bus through bridges, recorded once at boot in
 * a fixed table (see pci.h); SR-IOV virtual functions are added to it
 * when their PF enables them (pci_vf_record).  Nothing here is configured: bus numbers are
 * the firmware's (a bridge it left unnumbered is reported and not
 * scanned), and BAR addresses are recorded as found, for pci_place.c to
 * keep or replace.
 *
 * Config space is device-controlled input, so every walk is bounded: the
 * bus recursion by PCI_MAX_DEPTH and a bitmap of buses already scanned
 * (a bridge whose secondary bus is not above its own, outside the
 * segment or already seen is not followed), each capability list by
 * PCI_MAX_CAPS entries and legal offsets, and the table by PCI_MAX_FUNCS
 * (functions beyond it are counted and refused).
 *
 * The boot inventory is one line per function: address, identity, class
 * and, for a bridge, its buses and windows.  BARs and capabilities are for
 * a libOS to print from dev_info and config space (user/lspci.c).
 *
 * BARs are sized the standard way: with the function's I/O and memory
 * decoding off, write all ones, read back which address bits stick,
 * restore; the lowest writable address bit is the size.  Host bridges
 * keep decoding on (turning it off may cut the CPU off from memory).
 */
#include "console.h"
#include "iommu.h"
#include "klib.h"
#include "pci.h"

static struct {
    unsigned n;                         /* functions recorded */
    unsigned refused;                   /* functions found with the table full */
    uint64_t seen[4];                   /* buses scanned in the current segment */
    struct pci_func f[PCI_MAX_FUNCS];
} pci;                                  /* written at boot (kernel lock), read-only after */

/* Size the BARs of f (f->nbars slots). */
static void bars_size(struct pci_func *f)
{
    pci_addr_t a = f->addr;
    uint16_t cmd = pci_cfg_read16(a, PCI_CFG_COMMAND);
    bool host = f->class == 0x06 && f->subclass == 0x00;
    if (!host && (cmd & (PCI_CMD_IO | PCI_CMD_MEM)))
        pci_cfg_write16(a, PCI_CFG_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
    for (unsigned i = 0; i < f->nbars; i++) {
        unsigned off = PCI_CFG_BAR0 + 4 * i;
        uint32_t lo = pci_cfg_read32(a, off);
        pci_cfg_write32(a, off, 0xffffffff);
        uint32_t mlo = pci_cfg_read32(a, off);
        pci_cfg_write32(a, off, lo);
        struct pci_bar *b = &f->bar[i];
        uint64_t mask;
        if (lo & 1) {
            b->flags = PCI_BAR_IO;
            b->base = lo & ~3u;
            mask = mlo & ~3u;
        } else {
            b->flags = (lo & 8) ? PCI_BAR_PREFETCH : 0;
            b->base = lo & ~0xfu;
            mask = mlo & ~0xfu;
            if (((lo >> 1) & 3) == 2) {
                if (i + 1 == f->nbars) {        /* a 64-bit BAR in the last slot: broken */
                    *b = (struct pci_bar){0};
                    break;
                }
                uint32_t hi = pci_cfg_read32(a, off + 4);
                pci_cfg_write32(a, off + 4, 0xffffffff);
                uint32_t mhi = pci_cfg_read32(a, off + 4);
                pci_cfg_write32(a, off + 4, hi);
                b->flags |= PCI_BAR_MEM64;
                b->base |= (uint64_t)hi << 32;
                mask |= (uint64_t)mhi << 32;
                i++;                            /* the next slot is the upper half */
            }
        }
        b->size = mask & -mask;
        if (!b->size)
            *b = (struct pci_bar){0};
    }
    if (!host && (cmd & (PCI_CMD_IO | PCI_CMD_MEM)))
        pci_cfg_write16(a, PCI_CFG_COMMAND, cmd);
}

/* The capability list in the first 256 bytes. */
static void caps_walk(struct pci_func *f)
{
    pci_addr_t a = f->addr;
    if (!(pci_cfg_read16(a, PCI_CFG_STATUS) & PCI_STATUS_CAPS) || f->header > PCI_HDR_CARDBUS)
        return;
    unsigned ptr = pci_cfg_read8(a, f->header == PCI_HDR_CARDBUS ? PCI_CFG_CAPS_CB : PCI_CFG_CAPS) & 0xfc;
    for (unsigned n = 0; ptr; n++) {
        if (ptr < 0x40 || n == PCI_MAX_CAPS) {
            f->caps |= PCI_CAP_BROKEN;
            return;
        }
        uint8_t id = pci_cfg_read8(a, ptr);
        unsigned next = pci_cfg_read8(a, ptr + 1) & 0xfc;
        if (id == PCI_CAPID_PM && !f->pm_off) {
            f->caps |= PCI_CAP_PM;
            f->pm_off = (uint8_t)ptr;
        } else if (id == PCI_CAPID_MSI && !f->msi_off) {
            f->caps |= PCI_CAP_MSI;
            f->msi_off = (uint8_t)ptr;
            f->msi_ctrl = pci_cfg_read16(a, ptr + 2);
        } else if (id == PCI_CAPID_MSIX && !f->msix_off) {
            f->caps |= PCI_CAP_MSIX;
            f->msix_off = (uint8_t)ptr;
            f->msix_size = (pci_cfg_read16(a, ptr + 2) & 0x7ff) + 1;
            uint32_t table = pci_cfg_read32(a, ptr + 4), pba = pci_cfg_read32(a, ptr + 8);
            f->msix_table_bar = table & 7;
            f->msix_table_off = table & ~7u;
            f->msix_pba_bar = pba & 7;
            f->msix_pba_off = pba & ~7u;
        } else if (id == PCI_CAPID_PCIE && !f->pcie_off) {
            f->caps |= PCI_CAP_PCIE;
            f->pcie_off = (uint8_t)ptr;
            f->pcie_type = (pci_cfg_read16(a, ptr + 2) >> 4) & 0xf;
            f->flr = (pci_cfg_read32(a, ptr + 4) >> 28) & 1;
        } else if (id == PCI_CAPID_VENDOR) {
            f->caps |= PCI_CAP_VENDOR;
        } else if (id != PCI_CAPID_PM && id != PCI_CAPID_MSI && id != PCI_CAPID_MSIX && id != PCI_CAPID_PCIE) {
            f->caps |= PCI_CAP_OTHER;
        }
        ptr = next;
    }
}

/* Size VF BAR0 of SR-IOV PF f (VF memory decoding is off at boot): one
 * VF's window, and the BAR for all TotalVFs of them.  Only a memory BAR0
 * is used; a VF without one is never enabled. */
static void vf_bar_size(struct pci_func *f)
{
    pci_addr_t a = f->addr;
    unsigned off = f->sriov_off + PCI_SRIOV_BAR0;
    if (!f->sriov_total_vfs)
        return;
    uint32_t lo = pci_cfg_read32(a, off), hi = 0, mhi = 0;
    pci_cfg_write32(a, off, 0xffffffff);
    uint32_t mlo = pci_cfg_read32(a, off);
    pci_cfg_write32(a, off, lo);
    bool is64 = ((lo >> 1) & 3) == 2;
    if (is64) {
        hi = pci_cfg_read32(a, off + 4);
        pci_cfg_write32(a, off + 4, 0xffffffff);
        mhi = pci_cfg_read32(a, off + 4);
        pci_cfg_write32(a, off + 4, hi);
    }
    uint64_t mask = (mlo & ~0xfull) | (uint64_t)mhi << 32, size = mask & -mask;
    if ((lo & 1) || !size || size >= (1ull << 32))
        return;
    f->sriov_vf_size = size;
    f->sriov_bar = (struct pci_bar){.size = size * f->sriov_total_vfs, .flags = is64 ? PCI_BAR_MEM64 : 0};
}

/* The extended capability list from 0x100 (PCIe functions under ECAM). */
static void ext_caps_walk(struct pci_func *f)
{
    pci_addr_t a = f->addr;
    unsigned off = PCI_CFG_EXT;
    for (unsigned n = 0; off; n++) {
        if (off < PCI_CFG_EXT || n == PCI_MAX_CAPS) {
            f->caps |= PCI_CAP_BROKEN;
            return;
        }
        uint32_t h = pci_cfg_read32(a, off);
        if (h == 0 || h == 0xffffffff)
            return;
        uint16_t id = h & 0xffff;
        if (id == PCI_EXTID_SRIOV && !f->sriov_off) {
            f->caps |= PCI_CAP_SRIOV;
            f->sriov_off = (uint16_t)off;
            f->sriov_total_vfs = pci_cfg_read16(a, off + 0x0e);
            f->sriov_vf_offset = pci_cfg_read16(a, off + 0x14);
            f->sriov_vf_stride = pci_cfg_read16(a, off + 0x16);
            f->sriov_vf_device = pci_cfg_read16(a, off + 0x1a);
            vf_bar_size(f);
        } else if (id == PCI_EXTID_ARI) {
            f->caps |= PCI_CAP_ARI;
        } else if (id == PCI_EXTID_AER) {
            f->caps |= PCI_CAP_AER;
        } else if (id == PCI_EXTID_ACS) {
            f->caps |= PCI_CAP_ACS;
        } else if (id != PCI_EXTID_SRIOV) {
            f->caps |= PCI_CAP_OTHER;
        }
        off = (h >> 20) & 0xffc;
    }
}

/* Record the function at a (present: its vendor id is not all ones or 0);
 * NULL if the table is full. */
static struct pci_func *func_record(pci_addr_t a, bool ecam)
{
    if (pci.n == PCI_MAX_FUNCS) {
        pci.refused++;
        return NULL;
    }
    struct pci_func *f = &pci.f[pci.n++];
    uint32_t id = pci_cfg_read32(a, PCI_CFG_VENDOR), cls = pci_cfg_read32(a, PCI_CFG_REVISION);
    *f = (struct pci_func){
        .addr = a, .vendor = id & 0xffff, .device = id >> 16,
        .class = cls >> 24, .subclass = (cls >> 16) & 0xff, .progif = (cls >> 8) & 0xff, .revision = cls & 0xff,
        .header = pci_cfg_read8(a, PCI_CFG_HEADER) & 0x7f,
        .irq_pin = pci_cfg_read8(a, PCI_CFG_IRQ_PIN),
    };
    if (f->irq_pin > 4)
        f->irq_pin = 0;
    f->nbars = f->header == PCI_HDR_NORMAL ? 6 : f->header == PCI_HDR_BRIDGE ? 2 : 0;
    if (f->header == PCI_HDR_BRIDGE) {
        f->sec_bus = pci_cfg_read8(a, PCI_CFG_BUSES + 1);
        f->sub_bus = pci_cfg_read8(a, PCI_CFG_BUSES + 2);
    }
    bars_size(f);
    caps_walk(f);
    if (ecam && (f->caps & PCI_CAP_PCIE))
        ext_caps_walk(f);
    return f;
}

static bool bus_seen(unsigned bus) { return pci.seen[bus / 64] & (1ul << (bus % 64)); }

/* Scan bus (depth bridges below the root) and the buses behind its bridges. */
static void bus_scan(const struct pci_segment *s, unsigned bus, unsigned depth)
{
    pci.seen[bus / 64] |= 1ul << (bus % 64);
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            pci_addr_t a = PCI_ADDR(s->seg, bus, dev, fn);
            uint16_t vendor = pci_cfg_read16(a, PCI_CFG_VENDOR);
            if (vendor == 0xffff || vendor == 0) {
                if (fn == 0)
                    break;              /* no function 0: no device */
                continue;
            }
            uint8_t header = pci_cfg_read8(a, PCI_CFG_HEADER);
            struct pci_func *f = func_record(a, s->ecam);
            if ((header & 0x7f) == PCI_HDR_BRIDGE) {
                unsigned sec = pci_cfg_read8(a, PCI_CFG_BUSES + 1), sub = pci_cfg_read8(a, PCI_CFG_BUSES + 2);
                if (sec > bus && sec <= s->bus_end && sub >= sec && !bus_seen(sec) && depth < PCI_MAX_DEPTH) {
                    if (f)
                        f->scanned = true;
                    bus_scan(s, sec, depth + 1);
                }
            }
            if (fn == 0 && !(header & PCI_HEADER_MULTI))
                break;
        }
    }
}

unsigned pci_enumerate(const struct pci_platform *p)
{
    pci.n = pci.refused = 0;
    for (unsigned i = 0; i < p->nseg && i < PCI_MAX_SEGMENTS; i++) {
        memset(pci.seen, 0, sizeof(pci.seen));
        if (p->seg[i].bus_start <= p->seg[i].bus_end)
            bus_scan(&p->seg[i], p->seg[i].bus_start, 0);
    }
    return pci.n;
}

unsigned pci_func_count(void) { return pci.n; }

const struct pci_func *pci_func_get(unsigned i) { return i < pci.n ? &pci.f[i] : NULL; }

unsigned pci_funcs_refused(void) { return pci.refused; }

const struct pci_func *pci_func_by_addr(pci_addr_t a)
{
    for (unsigned i = 0; i < pci.n; i++)
        if (pci.f[i].addr == a)
            return &pci.f[i];
    return NULL;
}

void pci_set_kernel_owned(pci_addr_t a, bool owned)
{
    for (unsigned i = 0; i < pci.n; i++)
        if (pci.f[i].addr == a)
            pci.f[i].kernel_owned = owned;
}

unsigned pci_func_room(void)
{
    return PCI_MAX_FUNCS - pci.n;
}

const struct pci_func *pci_vf_record(const struct pci_func *pf, pci_addr_t a, unsigned index)
{
    struct pci_func *f = (struct pci_func *)pci_func_by_addr(a);
    if (!f && !(f = func_record(a, true)))
        return NULL;
    f->vf = true;
    f->pf = pf->addr;
    f->vendor = pf->vendor;
    f->device = pf->sriov_vf_device;
    f->bar[0] = (struct pci_bar){.base = pf->sriov_bar.base + index * pf->sriov_vf_size, .size = pf->sriov_vf_size,
                                 .flags = pf->sriov_bar.flags, .placed = true};
    return f;
}

struct pci_func *pci_func_table(unsigned *n)
{
    *n = pci.n;
    return pci.f;
}

void pci_print_inventory(void)
{
    static const char *const win[] = {[PCI_WIN_MEM] = "mem", [PCI_WIN_IO] = "io"};
    for (unsigned i = 0; i < pci.n; i++) {
        const struct pci_func *f = &pci.f[i];
        kprintf("pci %04x:%02x:%02x.%x %04x:%04x rev %02x class %02x%02x", PCI_SEG(f->addr), PCI_BUS(f->addr),
                PCI_DEV(f->addr), PCI_FN(f->addr), f->vendor, f->device, f->revision, f->class, f->subclass);
        if (f->header == PCI_HDR_BRIDGE && f->sec_bus)
            kprintf(" bridge to buses %02x-%02x", f->sec_bus, f->sub_bus);
        else if (f->header == PCI_HDR_BRIDGE)
            kprintf(" bridge, buses unassigned");
        else if (f->header != PCI_HDR_NORMAL)
            kprintf(" header %u", f->header);
        for (unsigned k = 0; k < 2; k++) {
            const struct pci_window *w = &f->window[k];
            if (w->size && w->placed)
                kprintf(" %s window %lx-%lx", win[k], w->base, w->base + w->size - 1);
            else if (w->size)
                kprintf(" %s window unassigned", win[k]);
        }
        kprintf("\n");
    }
    kprintf("pci: %u functions", pci.n);
    if (pci.refused)
        kprintf(", %u more refused (the table holds %u)", pci.refused, PCI_MAX_FUNCS);
    kprintf("\n");
}

void pci_init(void)
{
    struct pci_platform p;
    pci_platform_init(&p);
    pci_enumerate(&p);
    pci_place();                        /* every BAR and bridge window an address */
    iommu_init();                       /* translation on, nothing attached: all DMA blocked */
    pci_print_inventory();
}
