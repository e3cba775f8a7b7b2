/*
 * lspci: the PCI inventory as a libOS sees it.  Run as the first
 * environment (init=lspci), it holds a device capability for every
 * endpoint the kernel hands out (vn_sysinfo.ndevices from slot
 * VN_CAP_DEV_FIRST) and prints one line for each, as lspci would:
 *   lspci 0000:00:03.0 1af4:1041 rev 01 class 0200 [ethernet] pin A line 10
 *         bars: 1:mem32 fea00000/4K 4:mem64,pf fe000000/16K caps: msix(3,bar1+0,pba bar1+800) ...
 * (one line; wrapped here).  BARs are dev_info's, as the kernel placed
 * them ("unassigned": no address); the capabilities come from the
 * function's config space, read through dev_cfg_read with the same bounds
 * the kernel's walk has (PCI_MAX_CAPS entries, legal offsets), since the
 * device writes it.  The kernel's own boot lines (pci.c) list every
 * function, bridges and the kernel's drivers' ones too.  Exits 1 if a
 * device call fails.
 */
#include <libveneer.h>
#include <stdarg.h>
#include <stdbool.h>
#include <veneer/dev.h>
#include "vn.h"

#define MAX_CAPS 48             /* as the kernel's PCI_MAX_CAPS */

static char line[512];
static size_t len;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
    va_end(ap);
    len = n < 0 ? len : len + (size_t)n >= sizeof(line) ? sizeof(line) - 1 : len + (size_t)n;
}

static const struct {
    uint16_t code;              /* class << 8 | subclass, or class << 8 | 0xff for any subclass */
    const char *name;
} class_names[] = {
    {0x0100, "scsi"}, {0x0101, "ide"}, {0x0106, "sata"}, {0x0108, "nvme"}, {0x01ff, "storage"},
    {0x0200, "ethernet"}, {0x02ff, "network"}, {0x0300, "vga"}, {0x03ff, "display"},
    {0x04ff, "multimedia"}, {0x05ff, "memory"}, {0x07ff, "communication"}, {0x0800, "pic"},
    {0x08ff, "system"}, {0x09ff, "input"}, {0x0c03, "usb"}, {0x0c05, "smbus"}, {0x0cff, "serial bus"},
    {0x00ff, "unclassified"}, {0xffff, "misc"},
};

static const char *class_name(unsigned cls, unsigned sub)
{
    for (unsigned i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++) {
        unsigned c = class_names[i].code;
        if (c >> 8 == cls && ((c & 0xff) == sub || (c & 0xff) == 0xff))
            return class_names[i].name;
    }
    return "other";
}

static const char *pcie_type(unsigned t)
{
    static const char *const names[] = {"endpoint", "legacy-endpoint", "?", "?", "root-port", "upstream",
                                        "downstream", "pcie-to-pci", "pci-to-pcie", "rc-endpoint",
                                        "rc-event-collector"};
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static void add_size(uint64_t size)
{
    static const char units[] = "KMGT";
    unsigned u = 0;
    while (u < 4 && size >= 1024 && size % 1024 == 0) {
        size /= 1024;
        u++;
    }
    if (u)
        add("%lu%c", size, units[u - 1]);
    else
        add("%lu", size);
}

static uint32_t cfg(capref_t dev, unsigned off, unsigned width)
{
    long v = vn_dev_cfg_read(dev, off, width);
    return v < 0 ? 0 : (uint32_t)v;
}

/* The standard capability list, then (for PCI Express) the extended one. */
static void add_caps(capref_t dev)
{
    bool any = false, pcie = false, broken = false;
    unsigned ptr = cfg(dev, 0x06, 2) & 0x10 ? cfg(dev, 0x34, 1) & 0xfc : 0;
    for (unsigned n = 0; ptr; n++, ptr = cfg(dev, ptr + 1, 1) & 0xfc) {
        if ((broken = ptr < 0x40 || n == MAX_CAPS))
            break;
        unsigned id = cfg(dev, ptr, 1), ctrl = cfg(dev, ptr + 2, 2);
        add("%s", any ? "" : " caps:");
        any = true;
        if (id == 0x01) {
            add(" pm");
        } else if (id == 0x05) {
            add(" msi(%u%s%s)", 1u << ((ctrl >> 1) & 7), ctrl & 0x80 ? ",64bit" : "", ctrl & 0x100 ? ",mask" : "");
        } else if (id == 0x11) {
            uint32_t t = cfg(dev, ptr + 4, 4), p = cfg(dev, ptr + 8, 4);
            add(" msix(%u,bar%u+%x,pba bar%u+%x)", (ctrl & 0x7ff) + 1, t & 7, t & ~7u, p & 7, p & ~7u);
        } else if (id == 0x10) {
            pcie = true;
            add(" pcie(%s%s)", pcie_type((ctrl >> 4) & 0xf), (cfg(dev, ptr + 4, 4) >> 28) & 1 ? ",flr" : "");
        } else if (id == 0x09) {
            add(" vendor");
        } else {
            add(" other");
        }
    }
    for (unsigned n = 0, off = 0x100; pcie && off && !broken; n++) {
        if ((broken = off < 0x100 || n == MAX_CAPS))
            break;
        uint32_t h = cfg(dev, off, 4);
        if (h == 0 || h == 0xffffffffu)
            break;              /* no extended space (the 0xcf8 ports), or an empty list */
        unsigned id = h & 0xffff;
        if (id == 0x10)
            add(" sriov(vfs %u,offset %u,stride %u,vf %04x:%04x)", cfg(dev, off + 0x0e, 2), cfg(dev, off + 0x14, 2),
                cfg(dev, off + 0x16, 2), cfg(dev, 0, 2), cfg(dev, off + 0x1a, 2));
        else
            add(" %s", id == 0x01 ? "aer" : id == 0x0d ? "acs" : id == 0x0e ? "ari" : "other");
        off = (h >> 20) & 0xffc;
    }
    if (broken)
        add("%s broken-list", any ? "" : " caps:");
}

static int print_device(capref_t dev)
{
    struct vn_devinfo d;
    long r = vn_dev_info(dev, &d);
    if (r < 0) {
        printf("lspci: dev_info of capability %ld: %s\n", (long)dev, vn_strerror(r));
        return -1;
    }
    len = 0;
    add("lspci %04x:%02x:%02x.%x %04x:%04x rev %02x class %02x%02x [%s]", d.addr >> 16, (d.addr >> 8) & 0xff,
        (d.addr >> 3) & 31, d.addr & 7, d.vendor, d.device, d.revision, d.class, d.subclass,
        class_name(d.class, d.subclass));
    unsigned pin = cfg(dev, 0x3d, 1);
    if (pin >= 1 && pin <= 4)
        add(" pin %c line %u", 'A' + pin - 1, cfg(dev, 0x3c, 1));
    for (unsigned i = 0, any = 0; i < d.nbars && i < 6; i++) {
        if (!d.bar[i].size)
            continue;
        unsigned fl = d.bar[i].flags;
        add("%s %u:%s%s ", any++ ? "" : " bars:", i, fl & VN_BAR_IO ? "io" : fl & VN_BAR_MEM64 ? "mem64" : "mem32",
            fl & VN_BAR_PREFETCH ? ",pf" : "");
        if (fl & VN_BAR_PLACED)
            add("%lx/", d.bar[i].base);
        else
            add("unassigned/");
        add_size(d.bar[i].size);
    }
    add_caps(dev);
    add("%s", d.flags & VN_DEVF_IOMMU ? " dma: iommu" : " dma: none");
    printf("%s\n", line);
    return 0;
}

int main(void)
{
    uint64_t n = vn_sysinfo->ndevices;
    for (uint64_t i = 0; i < n; i++)
        if (print_device((capref_t)(VN_CAP_DEV_FIRST + i)) < 0)
            return 1;
    printf("lspci: %lu devices\n", n);
    return 0;
}
