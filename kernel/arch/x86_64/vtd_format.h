/*
 * Intel VT-d data formats (spec rev. 3, legacy mode, 128-bit descriptors):
 * the capability fields vtd.c reads, root and context entries, second-level
 * page-table entries, interrupt remapping entries and the remappable MSI
 * address, invalidation descriptors, fault records and the registers.  Pure encoding with
 * no hardware access, so it is unit-tested on the host
 * (tests/host/test_vtd_format.c).
 *
 *   root entry (per bus)    lo: context table | P
 *   context entry (devfn)   lo: page-table root | TT 0 (multi-level) | P
 *                           hi: domain id << 8 | AW (1: 3 levels, 2: 4)
 *   page-table entry        table or page | W (bit 1) | R (bit 0)
 *   IRTE                    lo: APIC id << 40 | vector << 16 | TM | P
 *                           hi: SVT 1 << 18 | SQ 0 | source id
 */
#ifndef ARCH_VTD_FORMAT_H
#define ARCH_VTD_FORMAT_H

#include "../../types.h"

/* Registers (offsets in the unit's register page) and their bits. */
#define VTD_REG_CAP     0x08
#define VTD_REG_ECAP    0x10
#define VTD_REG_GCMD    0x18
#define VTD_REG_GSTS    0x1c
#define VTD_REG_RTADDR  0x20
#define VTD_REG_FSTS    0x34
#define VTD_REG_FECTL   0x38
#define VTD_REG_FEDATA  0x3c
#define VTD_REG_FEADDR  0x40
#define VTD_REG_FEUADDR 0x44
#define VTD_REG_IQH     0x80
#define VTD_REG_IQT     0x88
#define VTD_REG_IQA     0x90
#define VTD_REG_IRTA    0xb8

#define VTD_GCMD_TE     (1u << 31)      /* GSTS has the same bits: TES, RTPS, ... */
#define VTD_GCMD_SRTP   (1u << 30)
#define VTD_GCMD_QIE    (1u << 26)
#define VTD_GCMD_IRE    (1u << 25)
#define VTD_GCMD_SIRTP  (1u << 24)
#define VTD_FSTS_PFO    0x01            /* primary fault overflow (write 1 to clear) */
#define VTD_FSTS_AFO    0x04
#define VTD_FSTS_APF    0x08
#define VTD_FSTS_IQE    0x10            /* invalidation queue error */
#define VTD_FRCD_F      (1u << 31)      /* in the record's top 32-bit word */

/* Capability register fields. */
static inline uint32_t vtd_cap_domains(uint64_t cap) { return 1u << (4 + 2 * (cap & 7)); }
static inline bool vtd_cap_cm(uint64_t cap) { return cap >> 7 & 1; }
static inline unsigned vtd_cap_sagaw(uint64_t cap) { return (unsigned)(cap >> 8) & 0x1f; }
static inline unsigned vtd_cap_mgaw(uint64_t cap) { return ((unsigned)(cap >> 16) & 0x3f) + 1; }
static inline unsigned vtd_cap_fro(uint64_t cap) { return ((unsigned)(cap >> 24) & 0x3ff) * 16; }
static inline bool vtd_cap_psi(uint64_t cap) { return cap >> 39 & 1; }
static inline unsigned vtd_cap_nfr(uint64_t cap) { return ((unsigned)(cap >> 40) & 0xff) + 1; }
static inline bool vtd_cap_dwd(uint64_t cap) { return cap >> 54 & 1; }
static inline bool vtd_cap_drd(uint64_t cap) { return cap >> 55 & 1; }
/* Extended capability register fields. */
static inline bool vtd_ecap_coherent(uint64_t ecap) { return ecap & 1; }
static inline bool vtd_ecap_qi(uint64_t ecap) { return ecap >> 1 & 1; }
static inline bool vtd_ecap_ir(uint64_t ecap) { return ecap >> 3 & 1; }
static inline unsigned vtd_ecap_iro(uint64_t ecap) { return ((unsigned)(ecap >> 8) & 0x3ff) * 16; }

/* Page-table levels to use given SAGAW: 3 (39-bit) if offered, else 4
 * (48-bit), else 0 (none this driver knows). */
static inline unsigned vtd_levels(unsigned sagaw)
{
    return sagaw & 2 ? 3 : sagaw & 4 ? 4 : 0;
}

#define VTD_P       1ul             /* present: root, context and interrupt entries */
#define VTD_SL_R    1ul             /* second-level entry: readable */
#define VTD_SL_W    2ul             /* ... writable */
#define VTD_ADDR    0x000ffffffffff000ul    /* the address bits of any entry */

static inline uint64_t vtd_root_entry(paddr_t context_table) { return context_table | VTD_P; }
static inline uint64_t vtd_context_lo(paddr_t pt_root) { return pt_root | VTD_P; }
static inline uint64_t vtd_context_hi(unsigned did, unsigned levels)
{
    return (uint64_t)did << 8 | (levels - 2);
}
static inline unsigned vtd_context_did(uint64_t hi) { return (unsigned)(hi >> 8) & 0xffff; }

/* Index of iova in a page table of `level` (1 = the 4 KiB leaves). */
static inline unsigned vtd_pt_index(uint64_t iova, unsigned level)
{
    return (unsigned)(iova >> (12 + 9 * (level - 1))) & 511;
}

/* Interrupt remapping entry: fixed delivery, physical destination, xAPIC
 * destination id in bits 47:40 (destination field bits 15:8). */
static inline uint64_t vtd_irte_lo(unsigned apic_id, unsigned vector, bool level)
{
    return (uint64_t)(apic_id & 0xff) << 40 | (uint64_t)(vector & 0xff) << 16 | (level ? 1ul << 4 : 0) | VTD_P;
}
/* Source validation: the requester id must equal `source` exactly. */
static inline uint64_t vtd_irte_hi(uint16_t source) { return 1ul << 18 | source; }

/* MSI address of remappable-format entry `index`: handle[14:0] in bits
 * 19:5, interrupt format bit 4, handle[15] in bit 2, no subhandle. */
static inline uint64_t vtd_msi_address(unsigned index)
{
    return 0xfee00000ul | (uint64_t)(index & 0x7fff) << 5 | 1ul << 4 | (uint64_t)(index >> 15 & 1) << 2;
}

/* Invalidation descriptors, as (lo, hi). */
struct vtd_desc {
    uint64_t lo, hi;
};

#define VTD_GRAN_GLOBAL 1           /* context-cache and IOTLB granularities */
#define VTD_GRAN_DOMAIN 2
#define VTD_GRAN_DEVICE 3           /* context cache: one requester id */
#define VTD_GRAN_PAGE   3           /* IOTLB: one page of a domain */

static inline struct vtd_desc vtd_desc_context(unsigned gran, unsigned did, uint16_t sid)
{
    return (struct vtd_desc){0x1 | gran << 4 | (uint64_t)did << 16 | (uint64_t)sid << 32, 0};
}
/* IOTLB: drain pending reads and writes first if the unit offers it. */
static inline struct vtd_desc vtd_desc_iotlb(unsigned gran, unsigned did, uint64_t page, bool drain_r,
                                             bool drain_w)
{
    return (struct vtd_desc){0x2 | gran << 4 | (drain_w ? 1u << 6 : 0) | (drain_r ? 1u << 7 : 0) |
                             (uint64_t)did << 16, gran == VTD_GRAN_PAGE ? page & VTD_ADDR : 0};
}
/* Interrupt entry cache: one entry, or all (index < 0). */
static inline struct vtd_desc vtd_desc_iec(int index)
{
    return (struct vtd_desc){index < 0 ? 0x4 : 0x4 | 1u << 4 | (uint64_t)index << 32, 0};
}
/* Wait: after every earlier descriptor, write `data` to the 32-bit word
 * at status_pa (fence: later ones wait for this one). */
static inline struct vtd_desc vtd_desc_wait(uint32_t data, paddr_t status_pa)
{
    return (struct vtd_desc){0x5 | 1u << 5 | 1u << 6 | (uint64_t)data << 32, status_pa & ~3ul};
}

/* A fault recording register, decoded. */
struct vtd_fault {
    bool valid;                     /* F: the record holds a fault */
    bool read;                      /* T: a read request (else a write) */
    uint8_t reason;
    uint16_t source;                /* requester id */
    uint64_t info;                  /* page address; interrupt faults: index << 48 */
};

static inline struct vtd_fault vtd_fault_decode(uint64_t lo, uint64_t hi)
{
    return (struct vtd_fault){hi >> 63, hi >> 62 & 1, (uint8_t)(hi >> 32), (uint16_t)hi, lo & ~0xffful};
}

/* A short name of a fault reason (VT-d spec 7.1.3). */
static inline const char *vtd_fault_reason(unsigned r)
{
    static const char *const dma[] = {
        "reserved", "root entry not present", "context entry not present", "bad context entry",
        "address beyond width", "write not allowed", "read not allowed", "page table unreadable",
        "root table unreadable", "context table unreadable", "root entry reserved bits",
        "context entry reserved bits", "page entry reserved bits", "blocked by translation type",
    };
    static const char *const intr[] = {
        "interrupt request reserved bits", "interrupt index too large", "interrupt entry not present",
        "interrupt table unreadable", "interrupt entry reserved bits", "compatibility interrupt blocked",
        "interrupt source mismatch",
    };
    if (r < sizeof(dma) / sizeof(dma[0]))
        return dma[r];
    if (r >= 0x20 && r - 0x20 < sizeof(intr) / sizeof(intr[0]))
        return intr[r - 0x20];
    return "other";
}

#endif
