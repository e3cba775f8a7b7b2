/*
 * ACPI, as little as SMP needs: find the RSDP (from the boot loader, or by
 * scanning the BIOS areas), walk the RSDT/XSDT to the MADT and list the
 * processors' local APIC ids.  Every table is checksummed before use.
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

struct sdt {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct madt {
    struct sdt h;
    uint32_t lapic_addr;
    uint32_t flags;
} __attribute__((packed));

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

/* Map an ACPI table region (ACPI memory is not in the physmap). */
static const struct sdt *table(paddr_t pa)
{
    if (!pa || vm_kernel_map_phys(pa, sizeof(struct sdt)) < 0)
        return NULL;
    const struct sdt *t = P2V(pa);
    if (t->length < sizeof(*t) || vm_kernel_map_phys(pa, t->length) < 0 || !sum_ok(t, t->length))
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

int acpi_cpus(uint32_t *apic_ids, int max, paddr_t *lapic_pa)
{
    const struct rsdp *r = find_rsdp();
    if (!r)
        return 0;
    bool x = r->revision >= 2 && r->xsdt;
    const struct sdt *root = table(x ? r->xsdt : r->rsdt);
    if (!root)
        return 0;
    unsigned entries = (root->length - sizeof(*root)) / (x ? 8 : 4);
    for (unsigned i = 0; i < entries; i++) {
        const uint8_t *ep = (const uint8_t *)(root + 1) + i * (x ? 8 : 4);
        paddr_t pa = x ? *(const uint64_t *)ep : *(const uint32_t *)ep;
        const struct sdt *t = table(pa);
        if (!t || memcmp(t->sig, "APIC", 4))
            continue;
        const struct madt *m = (const void *)t;
        *lapic_pa = m->lapic_addr;
        int n = 0;
        for (const uint8_t *p = (const uint8_t *)(m + 1); p + 2 <= (const uint8_t *)t + t->length && p[1] >= 2;
             p += p[1]) {
            if (p[0] == 0 && p[1] >= 8 && (p[4] & 3) && n < max)        /* local APIC, enabled/online-capable */
                apic_ids[n++] = p[3];
            else if (p[0] == 9 && p[1] >= 16 && (p[8] & 3) && n < max)  /* local x2APIC */
                apic_ids[n++] = *(const uint32_t *)(p + 4);
            else if (p[0] == 5 && p[1] >= 12)                            /* 64-bit APIC address override */
                *lapic_pa = *(const uint64_t *)(p + 4);
        }
        return n;
    }
    return 0;
}
