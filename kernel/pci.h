/*
 * PCI: the functions found at boot and what each offers.  pci_init()
 * asks the machine layer how config space is reached (segments, their bus
 * ranges, whether the extended space above 0x100 is there) and walks
 * every bus reachable from the root buses through bridges, recording each
 * function in a fixed table: its identity, header type, sized BARs,
 * interrupt pin, and its capabilities.  The table is written
 * once, under the kernel lock at boot, and read-only after.
 *
 * A function is named by a pci_addr_t: segment << 16 | bus << 8 |
 * device << 3 | function; the low 16 bits are its requester id, the name
 * the IOMMU knows it by.
 *
 * pci_place() then gives every BAR and bridge window an address of its
 * own (kernel/pci_place.c): after it, a BAR's base is where it decodes,
 * and only BARs marked placed decode at all.
 */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include "types.h"

typedef uint32_t pci_addr_t;
#define PCI_ADDR(seg, bus, dev, fn) \
    ((pci_addr_t)(seg) << 16 | (pci_addr_t)(bus) << 8 | (pci_addr_t)(dev) << 3 | (pci_addr_t)(fn))
#define PCI_SEG(a) ((a) >> 16)
#define PCI_BUS(a) (((a) >> 8) & 0xff)
#define PCI_DEV(a) (((a) >> 3) & 0x1f)
#define PCI_FN(a)  ((a) & 7)

#define PCI_MAX_FUNCS    64     /* functions recorded; more are counted and refused */
#define PCI_MAX_SEGMENTS 4
#define PCI_MAX_DEPTH    16     /* bridges between a root bus and the deepest bus scanned */
#define PCI_MAX_CAPS     48     /* entries walked per capability list (lists can be cyclic) */

/* ---- config space: the header registers and capability ids in use */

#define PCI_CFG_VENDOR   0x00
#define PCI_CFG_COMMAND  0x04
#define PCI_CFG_STATUS   0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CACHE    0x0c
#define PCI_CFG_LATENCY  0x0d
#define PCI_CFG_HEADER   0x0e
#define PCI_CFG_BAR0     0x10
#define PCI_CFG_CAPS_CB  0x14   /* CardBus bridges' capability pointer */
#define PCI_CFG_BUSES    0x18   /* bridges: primary, secondary, subordinate */
#define PCI_CFG_CAPS     0x34
#define PCI_CFG_IRQ_LINE 0x3c
#define PCI_CFG_IRQ_PIN  0x3d
#define PCI_CFG_DEVSPEC  0x40   /* device-specific space: the capability list */
#define PCI_CFG_EXT      0x100  /* PCIe extended space (ECAM only) */

#define PCI_CMD_IO       0x001
#define PCI_CMD_MEM      0x002
#define PCI_CMD_INTX_OFF 0x400
#define PCI_STATUS_CAPS  0x10
#define PCI_HEADER_MULTI 0x80

#define PCI_CAPID_PM     0x01
#define PCI_CAPID_MSI    0x05
#define PCI_CAPID_VENDOR 0x09
#define PCI_CAPID_PCIE   0x10
#define PCI_CAPID_MSIX   0x11
#define PCI_EXTID_AER    0x0001
#define PCI_EXTID_ACS    0x000d
#define PCI_EXTID_ARI    0x000e
#define PCI_EXTID_SRIOV  0x0010
#define PCI_SRIOV_BAR0   0x24   /* VF BAR0, in the SR-IOV capability */

/* ---- the machine layer (kernel/arch/<arch>/pci_cfg.c) */

struct pci_segment {
    uint16_t seg;
    uint8_t bus_start, bus_end; /* root bus, last bus */
    bool ecam;                  /* offsets 0x100-0xfff (extended capabilities) reachable */
};

struct pci_platform {
    unsigned nseg;
    struct pci_segment seg[PCI_MAX_SEGMENTS];
};

#define PCI_MAX_HOLES 96        /* at least the boot memory map's regions and the kernel's MMIO */

struct pci_range {
    uint64_t base, end;         /* [base, end) */
};

/* Where BARs may decode on this machine. */
struct pci_space {
    struct pci_range mem, io;           /* where new assignments go (memory: below 4 GiB) */
    struct pci_range keep_mem[2], keep_io;  /* a firmware's assignment is kept only inside these */
    unsigned nholes;
    struct pci_range hole[PCI_MAX_HOLES];   /* memory no BAR may touch: RAM, firmware's, the kernel's MMIO */
};

/* Find how config space is reached (printing what the firmware described:
 * interrupt controllers, ECAM windows, IOMMU units) and fill p. */
void pci_platform_init(struct pci_platform *p);
/* Fill s from the memory map and ACPI: the windows (memory from above RAM
 * and ECAM to the I/O APIC, I/O ports from 0xc000) and the holes (every
 * memory map region, interrupt controllers, HPET, IOMMU units, ECAM, the
 * firmware flash below 4 GiB). */
void pci_platform_space(struct pci_space *s);
/* Config space of function a at off, width 1, 2 or 4 bytes (off aligned
 * to it).  Absent functions and unreachable offsets read as all ones;
 * writes to them are dropped.  Callers hold the kernel lock. */
uint32_t pci_cfg_read(pci_addr_t a, unsigned off, unsigned width);
void pci_cfg_write(pci_addr_t a, unsigned off, unsigned width, uint32_t v);

static inline uint8_t pci_cfg_read8(pci_addr_t a, unsigned off) { return (uint8_t)pci_cfg_read(a, off, 1); }
static inline uint16_t pci_cfg_read16(pci_addr_t a, unsigned off) { return (uint16_t)pci_cfg_read(a, off, 2); }
static inline uint32_t pci_cfg_read32(pci_addr_t a, unsigned off) { return pci_cfg_read(a, off, 4); }
static inline void pci_cfg_write8(pci_addr_t a, unsigned off, uint8_t v) { pci_cfg_write(a, off, 1, v); }
static inline void pci_cfg_write16(pci_addr_t a, unsigned off, uint16_t v) { pci_cfg_write(a, off, 2, v); }
static inline void pci_cfg_write32(pci_addr_t a, unsigned off, uint32_t v) { pci_cfg_write(a, off, 4, v); }

/* ---- what enumeration records */

#define PCI_BAR_IO       0x1    /* I/O ports (else memory) */
#define PCI_BAR_MEM64    0x2    /* 64-bit memory BAR: uses the next BAR slot too */
#define PCI_BAR_PREFETCH 0x4

struct pci_bar {
    uint64_t base;              /* the firmware's, then as placed (0: unassigned) */
    uint64_t size;              /* 0: not implemented */
    uint8_t flags;              /* PCI_BAR_* */
    bool placed;                /* has an address of its own and decodes there */
};

#define PCI_WIN_MEM 0           /* bridge windows (pci_func.window): memory, prefetchable or not */
#define PCI_WIN_IO  1

struct pci_window {             /* what a bridge forwards to its secondary bus */
    uint64_t base, size;        /* size 0: closed, nothing behind needs it */
    bool placed;                /* false with a size: no room, closed, the BARs behind unassigned */
};

/* Capabilities seen (bits of pci_func.caps). */
#define PCI_CAP_PM     (1u << 0)
#define PCI_CAP_MSI    (1u << 1)
#define PCI_CAP_MSIX   (1u << 2)
#define PCI_CAP_PCIE   (1u << 3)
#define PCI_CAP_VENDOR (1u << 4)
#define PCI_CAP_SRIOV  (1u << 5)    /* extended */
#define PCI_CAP_ARI    (1u << 6)    /* extended */
#define PCI_CAP_AER    (1u << 7)    /* extended */
#define PCI_CAP_ACS    (1u << 8)    /* extended */
#define PCI_CAP_OTHER  (1u << 9)    /* some capability not named above */
#define PCI_CAP_BROKEN (1u << 10)   /* a list was cut short: cyclic, too long or out of range */

#define PCI_HDR_NORMAL  0
#define PCI_HDR_BRIDGE  1
#define PCI_HDR_CARDBUS 2

struct pci_func {
    pci_addr_t addr;
    uint16_t vendor, device;
    uint8_t class, subclass, progif, revision;
    uint8_t header;             /* PCI_HDR_*, without the multi-function bit */
    uint8_t irq_pin;            /* 0 none, 1-4 INTA-INTD */
    uint8_t sec_bus, sub_bus;   /* bridges: secondary and subordinate bus (0: unassigned) */
    bool scanned;               /* bridges: the functions on sec_bus were found through this one */
    struct pci_window window[2];    /* bridges: PCI_WIN_*, as placed (prefetchable window closed) */
    uint8_t nbars;              /* BAR slots of this header type (6, 2 or 0) */
    struct pci_bar bar[6];
    uint32_t caps;              /* PCI_CAP_* */
    uint8_t pm_off, msi_off, msix_off, pcie_off;    /* capability offsets (0: absent) */
    uint16_t msi_ctrl;          /* MSI message control: 64-bit (bit 7), per-vector mask (8), log2 vectors (3:1) */
    uint16_t msix_size;         /* MSI-X table entries */
    uint8_t msix_table_bar, msix_pba_bar;
    uint32_t msix_table_off, msix_pba_off;  /* offsets into those BARs */
    uint8_t pcie_type;          /* PCIe device/port type (capability bits 7:4) */
    bool flr;                   /* PCIe function-level reset offered */
    uint16_t sriov_off;         /* SR-IOV extended capability offset (0: absent) */
    uint16_t sriov_total_vfs, sriov_vf_offset, sriov_vf_stride, sriov_vf_device;
    struct pci_bar sriov_bar;   /* PFs: VF BAR0 for all TotalVFs (placed like a BAR; kernel/sriov.c) */
    uint64_t sriov_vf_size;     /* ... one VF's window of it (0: no usable VF BAR0) */
    bool vf;                    /* an SR-IOV virtual function, recorded by pci_vf_record */
    pci_addr_t pf;              /* ... of this PF */
    bool kernel_owned;          /* a kernel driver drives it: not handed out (pci_set_kernel_owned) */
};

/* Boot: platform, enumeration, placement, the IOMMU (iommu_init: all DMA
 * blocked), inventory (one line per function). */
void pci_init(void);
/* Walk every segment of p and fill the function table; returns how many
 * functions were recorded (the table is reset first). */
unsigned pci_enumerate(const struct pci_platform *p);
/* Print the table, one line per function: address, identity, class, a
 * bridge's buses and windows (pci.c). */
void pci_print_inventory(void);
/* The recorded functions: count, and the i'th (NULL past the end). */
unsigned pci_func_count(void);
const struct pci_func *pci_func_get(unsigned i);
/* Functions seen but not recorded because the table was full. */
unsigned pci_funcs_refused(void);
/* The function named a, or NULL if none was recorded. */
const struct pci_func *pci_func_by_addr(pci_addr_t a);
/* A kernel driver takes function a for itself (or gives it back), at boot
 * before device_init, which hands out only what no kernel driver owns. */
void pci_set_kernel_owned(pci_addr_t a, bool owned);
/* Record (or find again) virtual function `index` of SR-IOV PF pf, at
 * address a, once its PF has enabled it: its capabilities as for any
 * function, its IDs from the PF's SR-IOV capability (a VF reads 0xffff)
 * and its BAR0 the index'th window of the PF's VF BAR0.  NULL if the table
 * is full (pci_func_room says beforehand). */
const struct pci_func *pci_vf_record(const struct pci_func *pf, pci_addr_t a, unsigned index);
/* Entries left in the table. */
unsigned pci_func_room(void);
/* The table itself, writable: for pci_place only, at boot. */
struct pci_func *pci_func_table(unsigned *n);

/* ---- placement (kernel/pci_place.c) */

/* Give every BAR and bridge window of the table an address and turn on
 * the decoding of what was placed (never bus mastering). */
void pci_place(void);
/* The decisions alone, without config access: f[0..n) as enumerated (a
 * bridge before what is behind it), s the machine's space.  A firmware
 * BAR on a root bus is kept if it is aligned, inside a keep range and
 * touches no hole and no other BAR; the rest is placed largest first.
 * Whatever does not fit is left with base 0 and logged.  Returns how many
 * firmware BARs were kept. */
unsigned pci_place_plan(struct pci_func *f, unsigned n, const struct pci_space *s);
/* Whether [pa, pa + len) lies inside one placed memory BAR; if so, *f and
 * *bar (either may be NULL) say whose. */
bool pci_mmio_owner(paddr_t pa, uint64_t len, const struct pci_func **f, unsigned *bar);

#endif
