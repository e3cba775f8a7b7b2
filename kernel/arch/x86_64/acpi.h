/*
 * ACPI tables: the processors for SMP bring-up (MADT), and what the device
 * layer needs to know about the machine: I/O APICs (MADT; kept masked,
 * so the ISA overrides are not read), PCIe ECAM windows (MCFG) and the IOMMU's remapping
 * units (DMAR).  Tables are firmware data and treated as hostile: each is
 * checksummed and bounded, each entry is checked against its table's end,
 * and whatever does not fit the fixed arrays below is counted, not kept.
 */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include "../../types.h"

#define ACPI_TABLE_MAX     0x10000  /* larger tables (of the ones read here) are refused */
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_MCFG      4
#define ACPI_MAX_DRHD      4
#define ACPI_MAX_RMRR      4
#define ACPI_MAX_SCOPES    16       /* device scopes kept per DRHD or RMRR */
#define ACPI_SCOPE_PATH    4        /* (device, function) steps kept per scope */

/* The header every system description table starts with. */
struct acpi_sdt {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct acpi_ioapic {
    uint8_t id;
    uint32_t addr;                  /* register window (physical) */
    uint32_t gsi_base;              /* first global system interrupt it serves */
};

struct acpi_mcfg {                  /* one ECAM window: 1 MiB of config space per bus */
    paddr_t base;                   /* address of bus 0's space (even if bus_start > 0) */
    uint16_t segment;
    uint8_t bus_start, bus_end;
};

#define ACPI_SCOPE_ENDPOINT 1       /* device scope types (VT-d spec 8.3.1) */
#define ACPI_SCOPE_BRIDGE   2       /* a bridge and everything behind it */
#define ACPI_SCOPE_IOAPIC   3
#define ACPI_SCOPE_HPET     4
#define ACPI_SCOPE_ACPI     5

struct acpi_dmar_scope {
    uint8_t type;                   /* ACPI_SCOPE_* */
    uint8_t enum_id;                /* IOAPIC or HPET id */
    uint8_t bus;                    /* start bus of the path */
    uint8_t depth;                  /* path steps kept (at most ACPI_SCOPE_PATH) */
    uint8_t path[ACPI_SCOPE_PATH][2];   /* (device, function) per step */
};

#define ACPI_DRHD_INCLUDE_ALL 0x1   /* the unit serves every device of its segment not listed elsewhere */
#define ACPI_DMAR_INTR_REMAP  0x1   /* DMAR flags: interrupt remapping supported */
#define ACPI_DMAR_X2APIC_OPT_OUT 0x2

struct acpi_drhd {                  /* one DMA remapping hardware unit */
    paddr_t base;                   /* its register page */
    uint16_t segment;
    uint8_t flags;                  /* ACPI_DRHD_* */
    uint8_t nscopes;
    struct acpi_dmar_scope scopes[ACPI_MAX_SCOPES];
};

struct acpi_rmrr {                  /* memory a device keeps DMAing to (firmware's) */
    paddr_t base, limit;            /* inclusive limit */
    uint16_t segment;
    uint8_t nscopes;
    struct acpi_dmar_scope scopes[ACPI_MAX_SCOPES];
};

/* What acpi_devices_init() found.  Written once at boot, read-only after. */
struct acpi_devices {
    unsigned nioapics, nmcfg, ndrhd, nrmrr;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
    bool has_dmar;
    uint8_t dmar_haw;               /* host address width (bits) */
    uint8_t dmar_flags;             /* ACPI_DMAR_* */
    struct acpi_drhd drhd[ACPI_MAX_DRHD];
    struct acpi_rmrr rmrr[ACPI_MAX_RMRR];
    unsigned dropped;               /* entries not kept: malformed or over the limits */
};

/* Fill apic_ids with the enabled processors' local APIC ids (at most max)
 * and *lapic_pa with the local APIC's physical address; returns how many
 * processors were found (0 if there is no usable MADT). */
int acpi_cpus(uint32_t *apic_ids, int max, paddr_t *lapic_pa);
/* The instance'th table with signature sig (4 characters), mapped,
 * checksummed and at most ACPI_TABLE_MAX long; NULL if there is none. */
const struct acpi_sdt *acpi_table(const char *sig, unsigned instance);
/* Read the MADT's I/O APICs, MCFG and DMAR (once; later
 * calls return the same record).  Never fails: what is missing or
 * malformed is absent from the record. */
const struct acpi_devices *acpi_devices_init(void);
/* Whether [base, base + len) touches usable RAM: device registers that
 * firmware claims are there are refused, as the kernel would write to them. */
bool acpi_overlaps_ram(paddr_t base, uint64_t len);
/* Print d: a line per I/O APIC, a line per ECAM window
 * and DMAR unit, and the RMRRs. */
void acpi_devices_print(const struct acpi_devices *d);
/* acpi_dmar.c: add the DMAR table's units and RMRRs to d; print them. */
void acpi_dmar_parse(struct acpi_devices *d);
void acpi_dmar_print(const struct acpi_devices *d);

/* Unaligned little-endian reads from table bytes. */
static inline uint16_t acpi_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t acpi_get32(const uint8_t *p) { return acpi_get16(p) | (uint32_t)acpi_get16(p + 2) << 16; }
static inline uint64_t acpi_get64(const uint8_t *p) { return acpi_get32(p) | (uint64_t)acpi_get32(p + 4) << 32; }

#endif
