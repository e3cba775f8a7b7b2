/*
 * The DMAR table (Intel VT-d spec, chapter 8): where the IOMMU's
 * remapping units are and which devices each serves.  After a 48-byte
 * header (host address width, flags), remapping structures follow, each
 * with a 16-bit type and length: DRHD (type 0, a unit's register page and
 * its device scopes), RMRR (type 1, memory a device keeps using behind the
 * OS's back, with the devices that use it) and others (ATSR, RHSA, ANDD,
 * SATC), which are skipped.  A device scope names a device by a start bus
 * and a path of (device, function) steps through bridges.
 *
 * Like every table it is hostile input: structures and scopes must end
 * inside their parent and be at least their header's length, and only
 * what fits the fixed arrays is kept (the rest counts as dropped).
 */
#include "../../console.h"
#include "../../klib.h"
#include "acpi.h"

#define DMAR_HEADER 48          /* acpi_sdt + HAW, flags, 10 reserved */
#define DMAR_DRHD   0
#define DMAR_RMRR   1
#define DRHD_SCOPES 16          /* where a DRHD's scopes begin */
#define RMRR_SCOPES 24
#define SCOPE_HEADER 6          /* type, length, 2 reserved, enum id, bus */

/* Parse the device scopes in [p, end) into out (at most ACPI_MAX_SCOPES);
 * returns how many were kept. */
static uint8_t scopes_parse(struct acpi_devices *d, const uint8_t *p, const uint8_t *end,
                            struct acpi_dmar_scope *out)
{
    uint8_t n = 0;
    while (end - p >= SCOPE_HEADER && p[1] >= SCOPE_HEADER && p[1] <= end - p) {
        unsigned steps = (p[1] - SCOPE_HEADER) / 2;
        if (n == ACPI_MAX_SCOPES || steps > ACPI_SCOPE_PATH || p[0] < ACPI_SCOPE_ENDPOINT ||
            p[0] > ACPI_SCOPE_ACPI) {
            d->dropped++;
        } else {
            struct acpi_dmar_scope *s = &out[n++];
            *s = (struct acpi_dmar_scope){.type = p[0], .enum_id = p[4], .bus = p[5], .depth = (uint8_t)steps};
            memcpy(s->path, p + SCOPE_HEADER, steps * 2);
        }
        p += p[1];
    }
    if (p != end)
        d->dropped++;           /* a truncated or zero-length scope */
    return n;
}

void acpi_dmar_parse(struct acpi_devices *d)
{
    const struct acpi_sdt *t = acpi_table("DMAR", 0);
    if (!t || t->length < DMAR_HEADER)
        return;
    const uint8_t *base = (const uint8_t *)t, *end = base + t->length;
    d->has_dmar = true;
    d->dmar_haw = (uint8_t)(base[36] + 1);
    d->dmar_flags = base[37];
    for (const uint8_t *p = base + DMAR_HEADER; end - p >= 4;) {
        uint16_t type = acpi_get16(p), len = acpi_get16(p + 2);
        if (len < 4 || len > end - p) {
            d->dropped++;
            return;             /* the rest cannot be found */
        }
        if (type == DMAR_DRHD) {
            paddr_t reg = len >= DRHD_SCOPES ? acpi_get64(p + 8) : 0;
            if (len < DRHD_SCOPES || d->ndrhd == ACPI_MAX_DRHD || !reg || reg % 4096 || acpi_overlaps_ram(reg, 4096)) {
                d->dropped++;
            } else {
                struct acpi_drhd *u = &d->drhd[d->ndrhd++];
                u->base = reg;
                u->flags = p[4];
                u->segment = acpi_get16(p + 6);
                u->nscopes = scopes_parse(d, p + DRHD_SCOPES, p + len, u->scopes);
            }
        } else if (type == DMAR_RMRR) {
            if (len < RMRR_SCOPES || d->nrmrr == ACPI_MAX_RMRR || acpi_get64(p + 16) < acpi_get64(p + 8)) {
                d->dropped++;
            } else {
                struct acpi_rmrr *r = &d->rmrr[d->nrmrr++];
                r->segment = acpi_get16(p + 6);
                r->base = acpi_get64(p + 8);
                r->limit = acpi_get64(p + 16);
                r->nscopes = scopes_parse(d, p + RMRR_SCOPES, p + len, r->scopes);
            }
        }
        p += len;
    }
}

static void print_scopes(const struct acpi_dmar_scope *s, unsigned n)
{
    static const char *const kind[] = {"", "pci", "bridge", "ioapic", "hpet", "acpi"};
    for (unsigned i = 0; i < n; i++, s++) {
        kprintf("%s %s", i ? "," : "", kind[s->type]);
        if (s->type >= ACPI_SCOPE_IOAPIC)
            kprintf(" %u", s->enum_id);
        /* The path's last step, from the start bus: exact for the
         * one-step paths QEMU writes; deeper ones show their depth. */
        if (s->depth)
            kprintf(" %02x:%02x.%x", s->bus, s->path[s->depth - 1][0], s->path[s->depth - 1][1]);
        if (s->depth > 1)
            kprintf(" (%u steps)", s->depth);
    }
}

void acpi_dmar_print(const struct acpi_devices *d)
{
    if (!d->has_dmar)
        return;
    for (unsigned i = 0; i < d->ndrhd; i++) {
        const struct acpi_drhd *u = &d->drhd[i];
        kprintf("dmar: unit at %lx, segment %u, %s, %u-bit address width, %s", u->base, u->segment,
                d->dmar_flags & ACPI_DMAR_INTR_REMAP ? "intremap" : "no intremap", d->dmar_haw,
                u->flags & ACPI_DRHD_INCLUDE_ALL ? "all other devices, scopes:" : "scopes:");
        print_scopes(u->scopes, u->nscopes);
        kprintf("%s\n", u->nscopes ? "" : " none");
    }
    if (!d->ndrhd)
        kprintf("dmar: table without remapping units\n");
    for (unsigned i = 0; i < d->nrmrr; i++) {
        const struct acpi_rmrr *r = &d->rmrr[i];
        kprintf("dmar: rmrr %lx-%lx, segment %u, for", r->base, r->limit, r->segment);
        print_scopes(r->scopes, r->nscopes);
        kprintf("\n");
    }
    if (!d->nrmrr)
        kprintf("dmar: no rmrr\n");
}
