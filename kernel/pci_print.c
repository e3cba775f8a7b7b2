/*
 * The boot inventory of PCI functions, one line each, as lspci would:
 *   pci 0000:00:03.0 1af4:1041 rev 01 class 0200 [ethernet] pin A line 10
 *       bars: 1:mem32 fea00000/4K 4:mem64,pf fe000000/16K caps: msix(3,bar1+0,pba bar1+800) ...
 * (one line; wrapped here).  BAR bases are as placed (pci_place.c);
 * "unassigned" means a BAR has no address and does not decode.  A
 * bridge's windows follow its BARs ("windows: mem c1000000/1M").
 * Capability details are in parentheses.
 */
#include "console.h"
#include "pci.h"

struct class_name {
    uint16_t code;              /* class << 8 | subclass, or class << 8 | 0xff for any subclass */
    const char *name;
};

static const struct class_name class_names[] = {
    {0x0100, "scsi"}, {0x0101, "ide"}, {0x0106, "sata"}, {0x0108, "nvme"}, {0x01ff, "storage"},
    {0x0200, "ethernet"}, {0x02ff, "network"}, {0x0300, "vga"}, {0x03ff, "display"},
    {0x04ff, "multimedia"}, {0x05ff, "memory"},
    {0x0600, "host bridge"}, {0x0601, "isa bridge"}, {0x0604, "pci bridge"}, {0x06ff, "bridge"},
    {0x07ff, "communication"}, {0x0800, "pic"}, {0x08ff, "system"}, {0x09ff, "input"},
    {0x0c03, "usb"}, {0x0c05, "smbus"}, {0x0cff, "serial bus"}, {0x00ff, "unclassified"},
    {0xffff, "misc"},
};

static const char *class_name(uint8_t cls, uint8_t sub)
{
    for (unsigned i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++) {
        uint16_t c = class_names[i].code;
        if (c >> 8 == cls && ((c & 0xff) == sub || (c & 0xff) == 0xff))
            return class_names[i].name;
    }
    return "other";
}

static const char *pcie_type(uint8_t t)
{
    static const char *const names[] = {"endpoint", "legacy-endpoint", "?", "?", "root-port", "upstream",
                                        "downstream", "pcie-to-pci", "pci-to-pcie", "rc-endpoint",
                                        "rc-event-collector"};
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static void print_size(uint64_t size)
{
    static const char units[] = "KMGT";
    unsigned u = 0;
    while (u < 4 && size >= 1024 && size % 1024 == 0) {
        size /= 1024;
        u++;
    }
    if (u)
        kprintf("%lu%c", size, units[u - 1]);
    else
        kprintf("%lu", size);
}

static void print_bars(const struct pci_func *f)
{
    bool any = false;
    for (unsigned i = 0; i < f->nbars; i++) {
        const struct pci_bar *b = &f->bar[i];
        if (!b->size)
            continue;
        kprintf("%s %u:%s%s ", any ? "" : " bars:", i,
                b->flags & PCI_BAR_IO ? "io" : b->flags & PCI_BAR_MEM64 ? "mem64" : "mem32",
                b->flags & PCI_BAR_PREFETCH ? ",pf" : "");
        if (b->base)
            kprintf("%lx/", b->base);
        else
            kprintf("unassigned/");
        print_size(b->size);
        any = true;
    }
}

static void print_windows(const struct pci_func *f)
{
    static const char *const names[] = {[PCI_WIN_MEM] = "mem", [PCI_WIN_IO] = "io"};
    bool any = false;
    for (unsigned k = 0; k < 2; k++) {
        const struct pci_window *w = &f->window[k];
        if (!w->size)
            continue;
        kprintf("%s %s ", any ? "" : " windows:", names[k]);
        if (w->placed)
            kprintf("%lx/", w->base);
        else
            kprintf("unassigned/");
        print_size(w->size);
        any = true;
    }
}

static void print_caps(const struct pci_func *f)
{
    if (!f->caps)
        return;
    kprintf(" caps:");
    if (f->caps & PCI_CAP_PM)
        kprintf(" pm");
    if (f->caps & PCI_CAP_MSI)
        kprintf(" msi(%u%s%s)", 1u << ((f->msi_ctrl >> 1) & 7), f->msi_ctrl & 0x80 ? ",64bit" : "",
                f->msi_ctrl & 0x100 ? ",mask" : "");
    if (f->caps & PCI_CAP_MSIX)
        kprintf(" msix(%u,bar%u+%x,pba bar%u+%x)", f->msix_size, f->msix_table_bar, f->msix_table_off,
                f->msix_pba_bar, f->msix_pba_off);
    if (f->caps & PCI_CAP_PCIE)
        kprintf(" pcie(%s%s)", pcie_type(f->pcie_type), f->flr ? ",flr" : "");
    if (f->caps & PCI_CAP_VENDOR)
        kprintf(" vendor");
    if (f->caps & PCI_CAP_AER)
        kprintf(" aer");
    if (f->caps & PCI_CAP_ACS)
        kprintf(" acs");
    if (f->caps & PCI_CAP_ARI)
        kprintf(" ari");
    if (f->caps & PCI_CAP_SRIOV)
        kprintf(" sriov(vfs %u,offset %u,stride %u,vf %04x:%04x)", f->sriov_total_vfs, f->sriov_vf_offset,
                f->sriov_vf_stride, f->vendor, f->sriov_vf_device);
    if (f->caps & PCI_CAP_OTHER)
        kprintf(" other");
    if (f->caps & PCI_CAP_BROKEN)
        kprintf(" broken-list");
}

void pci_print_inventory(void)
{
    unsigned n = pci_func_count();
    for (unsigned i = 0; i < n; i++) {
        const struct pci_func *f = pci_func_get(i);
        kprintf("pci %04x:%02x:%02x.%x %04x:%04x rev %02x class %02x%02x [%s]", PCI_SEG(f->addr),
                PCI_BUS(f->addr), PCI_DEV(f->addr), PCI_FN(f->addr), f->vendor, f->device, f->revision,
                f->class, f->subclass, class_name(f->class, f->subclass));
        if (f->header == PCI_HDR_BRIDGE && f->sec_bus)
            kprintf(" buses %02x-%02x", f->sec_bus, f->sub_bus);
        else if (f->header == PCI_HDR_BRIDGE)
            kprintf(" buses unassigned");
        else if (f->header != PCI_HDR_NORMAL)
            kprintf(" header %u", f->header);
        if (f->irq_pin)
            kprintf(" pin %c line %u", 'A' + f->irq_pin - 1, f->irq_line);
        print_bars(f);
        print_windows(f);
        print_caps(f);
        kprintf("\n");
    }
    kprintf("pci: %u functions", n);
    if (pci_funcs_refused())
        kprintf(", %u more refused (the table holds %u)", pci_funcs_refused(), PCI_MAX_FUNCS);
    kprintf("\n");
}
