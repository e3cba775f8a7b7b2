/*
 * ACPI: find the RSDP (from the boot loader, or by scanning the BIOS
 * areas), walk the RSDT/XSDT to a table by signature, and read the MADT
 * (processors for SMP; I/O APICs, kept masked, for devices) and the
 * MCFG (PCIe ECAM windows).  The DMAR is acpi_dmar.c's.
 *
 * Firmware tables are trusted for nothing: a table is used only if its
 * length is sane (a header's worth, at most ACPI_TABLE_MAX) and its
 * checksum adds up, every entry must end inside its table and have a
 * length that moves the walk forward, and entries beyond the fixed
 * arrays of struct acpi_devices are counted in `dropped`.
 */
#include "../../boot_info.h"
#include "../../console.h"
#include "../../klib.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "acpi.h"

struct rsdp {
    char sig[8];
    uint8_t checksum;
    char oem[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t xchecksum, reserved[3];
} __attribute__((packed));

struct madt {
    struct acpi_sdt h;
    uint32_t lapic_addr;
    uint32_t flags;
} __attribute__((packed));

struct mcfg {
    struct acpi_sdt h;
    uint8_t reserved[8];
} __attribute__((packed));

#define MADT_LAPIC      0
#define MADT_IOAPIC     1
#define MADT_LAPIC_ADDR 5
#define MADT_X2APIC     9

static bool sum_ok(const void *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += ((const uint8_t *)p)[i];
    return s == 0;
}

static const struct rsdp *scan(paddr_t start, paddr_t end)
{
    for (paddr_t pa = start; pa + sizeof(struct rsdp) <= end; pa += 16) {
        const struct rsdp *r = P2V(pa);
        if (memcmp(r->sig, "RSD PTR ", 8) == 0 && sum_ok(r, 20))
            return r;
    }
    return NULL;
}

/* Map an ACPI table (ACPI memory is not in the physmap) and check it:
 * NULL unless its length is sane and its checksum right. */
static const struct acpi_sdt *table(paddr_t pa)
{
    if (!pa || vm_kernel_map_phys(pa, sizeof(struct acpi_sdt)) < 0)
        return NULL;
    const struct acpi_sdt *t = P2V(pa);
    if (t->length < sizeof(*t) || t->length > ACPI_TABLE_MAX || vm_kernel_map_phys(pa, t->length) < 0 ||
        !sum_ok(t, t->length))
        return NULL;
    return t;
}

static const struct rsdp *find_rsdp(void)
{
    if (boot_info.has_rsdp_copy && memcmp(boot_info.rsdp_copy, "RSD PTR ", 8) == 0)
        return (const struct rsdp *)boot_info.rsdp_copy;
    if (boot_info.rsdp && vm_kernel_map_phys(boot_info.rsdp, sizeof(struct rsdp)) == 0)
        return P2V(boot_info.rsdp);
    vm_kernel_map_phys(0, 0x100000);
    uint16_t ebda_seg = *(uint16_t *)P2V(0x40e);
    const struct rsdp *r = ebda_seg ? scan((paddr_t)ebda_seg << 4, ((paddr_t)ebda_seg << 4) + 1024) : NULL;
    return r ? r : scan(0xe0000, 0x100000);
}

static struct {
    bool looked;
    const struct acpi_sdt *t;       /* RSDT or XSDT, or NULL */
    unsigned width;                 /* bytes per entry: 4 (RSDT) or 8 (XSDT) */
} root;

/* The root table, found once.  The XSDT only if the RSDP's extended
 * checksum holds; a copy of a revision-0 RSDP is only 20 bytes long. */
static void root_find(void)
{
    if (root.looked)
        return;
    root.looked = true;
    const struct rsdp *r = find_rsdp();
    if (!r || !sum_ok(r, 20))
        return;
    bool x = r->revision >= 2 && r->xsdt && sum_ok(r, sizeof(*r));
    root.t = table(x ? r->xsdt : r->rsdt);
    root.width = x ? 8 : 4;
    if (!root.t && x) {
        root.t = table(r->rsdt);
        root.width = 4;
    }
}

const struct acpi_sdt *acpi_table(const char *sig, unsigned instance)
{
    root_find();
    if (!root.t)
        return NULL;
    unsigned entries = (root.t->length - sizeof(*root.t)) / root.width;
    for (unsigned i = 0; i < entries; i++) {
        const uint8_t *ep = (const uint8_t *)(root.t + 1) + i * root.width;
        const struct acpi_sdt *t = table(root.width == 8 ? acpi_get64(ep) : acpi_get32(ep));
        if (t && memcmp(t->sig, sig, 4) == 0 && instance-- == 0)
            return t;
    }
    return NULL;
}

/* The MADT's entries: p[0] type, p[1] length.  Calls fn for each entry
 * that ends inside the table; stops at one shorter than its header. */
static const struct madt *madt_each(void (*fn)(const uint8_t *e, void *ctx), void *ctx)
{
    const struct acpi_sdt *t = acpi_table("APIC", 0);
    if (!t || t->length < sizeof(struct madt))
        return NULL;
    const uint8_t *end = (const uint8_t *)t + t->length;
    for (const uint8_t *p = (const uint8_t *)t + sizeof(struct madt); end - p >= 2 && p[1] >= 2 && p[1] <= end - p;
         p += p[1])
        fn(p, ctx);
    return (const void *)t;
}

struct cpu_list {
    uint32_t *ids;
    int n, max;
    paddr_t lapic_pa;
};

static void madt_cpu(const uint8_t *p, void *ctx)
{
    struct cpu_list *c = ctx;
    if (p[0] == MADT_LAPIC && p[1] >= 8 && (p[4] & 3) && c->n < c->max)          /* enabled/online-capable */
        c->ids[c->n++] = p[3];
    else if (p[0] == MADT_X2APIC && p[1] >= 16 && (p[8] & 3) && c->n < c->max)
        c->ids[c->n++] = acpi_get32(p + 4);
    else if (p[0] == MADT_LAPIC_ADDR && p[1] >= 12)                               /* 64-bit override */
        c->lapic_pa = acpi_get64(p + 4);
}

int acpi_cpus(uint32_t *apic_ids, int max, paddr_t *lapic_pa)
{
    struct cpu_list c = {apic_ids, 0, max, 0};
    const struct madt *m = madt_each(madt_cpu, &c);
    if (!m)
        return 0;
    *lapic_pa = c.lapic_pa ? c.lapic_pa : m->lapic_addr;
    return c.n;
}

bool acpi_overlaps_ram(paddr_t base, uint64_t len)
{
    for (unsigned i = 0; i < boot_info.nregions; i++) {
        const struct boot_region *r = &boot_info.regions[i];
        if (r->usable && base < r->base + r->len && r->base < base + len)
            return true;
    }
    return false;
}

static void madt_device(const uint8_t *p, void *ctx)
{
    struct acpi_devices *d = ctx;
    if (p[0] == MADT_IOAPIC) {
        if (p[1] < 12 || d->nioapics == ACPI_MAX_IOAPICS || acpi_overlaps_ram(acpi_get32(p + 4), 4096)) {
            d->dropped++;
            return;
        }
        d->ioapics[d->nioapics++] = (struct acpi_ioapic){p[2], acpi_get32(p + 4), acpi_get32(p + 8)};
    }
}

/* MCFG entries: 16 bytes each (base, segment, first and last bus). */
static void mcfg_parse(struct acpi_devices *d)
{
    const struct acpi_sdt *t = acpi_table("MCFG", 0);
    if (!t || t->length < sizeof(struct mcfg))
        return;
    const uint8_t *p = (const uint8_t *)t + sizeof(struct mcfg);
    for (unsigned i = 0; i < (t->length - sizeof(struct mcfg)) / 16; i++, p += 16) {
        struct acpi_mcfg m = {acpi_get64(p), acpi_get16(p + 8), p[10], p[11]};
        /* The window must be 1 MiB aligned, start..end ordered, below
         * what the kernel can map (the physmap) and clear of RAM, since
         * enumeration writes to it. */
        paddr_t first = m.base + ((paddr_t)m.bus_start << 20), end = m.base + (((paddr_t)m.bus_end + 1) << 20);
        if (d->nmcfg == ACPI_MAX_MCFG || !m.base || m.base % (1u << 20) || m.bus_start > m.bus_end ||
            end > PHYSMAP_MAX || acpi_overlaps_ram(first, end - first)) {
            d->dropped++;
            continue;
        }
        d->mcfg[d->nmcfg++] = m;
    }
}

static struct acpi_devices devices;  /* written by the first acpi_devices_init, then read-only */
static bool devices_done;

const struct acpi_devices *acpi_devices_init(void)
{
    if (devices_done)
        return &devices;
    devices_done = true;
    madt_each(madt_device, &devices);
    mcfg_parse(&devices);
    acpi_dmar_parse(&devices);
    return &devices;
}

void acpi_devices_print(const struct acpi_devices *d)
{
    for (unsigned i = 0; i < d->nioapics; i++)
        kprintf("ioapic: id %u at %x, gsi base %u\n", d->ioapics[i].id, d->ioapics[i].addr, d->ioapics[i].gsi_base);
    if (!d->nioapics)
        kprintf("ioapic: none in the MADT\n");
    for (unsigned i = 0; i < d->nmcfg; i++)
        kprintf("mcfg: segment %04x buses %02x-%02x, ecam at %lx\n", d->mcfg[i].segment, d->mcfg[i].bus_start,
                d->mcfg[i].bus_end, d->mcfg[i].base);
    if (!d->nmcfg)
        kprintf("mcfg: none (no PCIe ECAM)\n");
    acpi_dmar_print(d);
    if (d->dropped)
        kprintf("acpi: %u device entries ignored (malformed or over the limits)\n", d->dropped);
}
