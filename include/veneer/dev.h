/*
 * Devices as libOSes see them.  The first environment receives, from slot
 * VN_CAP_DEV_FIRST on, one root capability per PCI function the kernel
 * hands out (endpoints only: no host, PCI or ISA bridges), as many as
 * vn_sysinfo.ndevices says; it passes them on like any capability.
 *
 *   CAP_DEVICE (a PCI function)                         rights
 *     dev_info, dev_cfg_read ........................... CR_READ
 *     dev_cfg_write (filtered) ......................... CR_WRITE
 *     dev_regs -> CAP_REGS (one BAR), dma_map/unmap .... CR_MAP
 *     dev_irq -> CAP_IRQ, dev_reset .................... CR_CONTROL
 *     dev_sriov (PFs: enable N VFs), dev_vf -> CAP_DEVICE CR_CONTROL
 *   CAP_REGS (one BAR: memory pages or I/O ports)
 *     page_map it (uncached) / dev_ports ............... CR_MAP (+ CR_READ, CR_WRITE)
 *   CAP_IRQ (an MSI or MSI-X vector bound to a notification word)
 *     irq_ack, irq_mask ................................ CR_WRITE
 *
 * A device has one holder at a time: the device capability through which
 * it was first programmed (a config write, a DMA mapping, an interrupt).
 * Holding it gives the device an IOMMU domain (charged to the holder's
 * environment) and is what lets bus mastering be turned on.  Other device
 * capabilities get E_BUSY for those calls until the holder lets go: when
 * the holding capability is deleted or revoked (or its environment dies),
 * or dev_reset is called, the kernel turns bus mastering and interrupts
 * off, resets the function (FLR where it has one), removes every DMA
 * mapping and frees the domain.  See docs/devices.md.
 *
 * SR-IOV: the holder of a PF with an SR-IOV capability enables N virtual
 * functions with dev_sriov (the kernel programs the capability and places
 * the VF BARs) and gets a device capability to each with dev_vf, to pass
 * on: each VF has its own holder, IOMMU domain and interrupts.  Disabling
 * (N = 0), or the PF's own reset, revokes every VF capability first.
 */
#ifndef VENEER_DEV_H
#define VENEER_DEV_H

#include <stdint.h>

#define VN_CAP_DEV_FIRST 2      /* first environment: device roots from this slot */
#define VN_DEV_MAX       32     /* device capabilities the kernel hands out */

/* bar[].flags */
#define VN_BAR_IO       0x1     /* I/O ports (base is the first port) */
#define VN_BAR_MEM64    0x2
#define VN_BAR_PREFETCH 0x4
#define VN_BAR_PLACED   0x8     /* has an address: dev_regs can name it */

/* vn_devinfo.flags */
#define VN_DEVF_IOMMU   0x1     /* its DMA can be confined: dma_map works, bus mastering may go on */
#define VN_DEVF_FLR     0x2     /* function-level reset */
#define VN_DEVF_HELD    0x4     /* some device capability holds it */
#define VN_DEVF_HELD_BY_ME 0x8  /* ... this one */
#define VN_DEVF_VF      0x10    /* an SR-IOV virtual function (from dev_vf) */

struct vn_devinfo {
    uint32_t addr;              /* segment << 16 | bus << 8 | device << 3 | function */
    uint16_t vendor, device;
    uint8_t class, subclass, progif, revision;
    uint8_t nbars;
    uint8_t msi_vectors;        /* 0: no MSI */
    uint16_t msix_size;         /* MSI-X table entries (0: no MSI-X) */
    uint32_t flags;             /* VN_DEVF_* */
    uint8_t msix_table_bar, msix_pba_bar;   /* BARs whose pages the kernel keeps */
    uint16_t pad;
    uint32_t msix_table_off, msix_pba_off;
    uint64_t dma_faults;        /* IOMMU faults this function caused since boot */
    uint64_t dma_pages;         /* pages mapped in its domain now */
    struct {
        uint64_t base, size;
        uint32_t flags;         /* VN_BAR_* */
        uint32_t pad;
    } bar[6];
};

_Static_assert(sizeof(struct vn_devinfo) == 48 + 6 * 24, "vn_devinfo ABI");

#define VN_IO_RANGES 4          /* I/O-port BARs one environment may be given (dev_ports) */

/* dma_map prot: what the device may do to the pages. */
#define VN_DMA_READ  0x1        /* device reads them (needs CR_READ on the pages) */
#define VN_DMA_WRITE 0x2        /* device writes them (needs CR_WRITE) */

/* dev_irq kinds (the vector or table entry is `index`). */
#define VN_IRQ_MSI  1
#define VN_IRQ_MSIX 2

/* Config-space writes the filter lets through (everything else -E_PERM):
 * the command register (bus mastering only with an IOMMU domain), status
 * (write-one-to-clear), cache line size, latency timer, interrupt line, and
 * device-specific registers at 0x40-0xff outside the MSI, MSI-X, PCI
 * Express and vendor-specific capabilities.  BARs, the expansion ROM,
 * capability structures and extended space (SR-IOV among them) are the
 * kernel's. */
#define VN_CMD_IO      0x001
#define VN_CMD_MEM     0x002
#define VN_CMD_MASTER  0x004
#define VN_CMD_INTX_OFF 0x400

#endif
