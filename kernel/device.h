/*
 * Device capabilities: the PCI functions the kernel hands out, who holds
 * each, and what holding one set up (an IOMMU domain with its DMA
 * bindings).  Mechanism only; the syscall glue is sys_device.c, the
 * interrupts irq.c, the IOMMU iommu.h.  See <veneer/dev.h> for the model.
 * All under the kernel lock.
 */
#ifndef KERNEL_DEVICE_H
#define KERNEL_DEVICE_H

#include <veneer/dev.h>
#include "cap.h"
#include "pci.h"

struct env;
struct iommu_domain;
struct binding;

struct device {
    const struct pci_func *f;
    struct cap root;            /* kernel-held root of its capabilities */
    struct cap *holder;         /* the device capability programming it, or NULL */
    struct env *owner;          /* holder's environment: charged for domain and bindings */
    struct iommu_domain *dom;   /* while held, if an IOMMU covers it */
    void **dma_index;           /* its DMA bindings by I/O virtual address (bind_index) */
    struct binding *dma_list;   /* the same bindings, for teardown */
    uint64_t dma_pages;
    uint16_t nvfs;              /* an SR-IOV PF: VFs enabled now (sriov.c) */
};

/* Boot, after pci_init/iommu_init and drv_probe_all: one device per
 * function handed out (endpoints no kernel driver owns). */
void device_init(void);
/* Give e (the first environment) a capability to every device, in slots
 * VN_CAP_DEV_FIRST on; returns how many. */
unsigned device_grant_boot(struct env *e);
/* The device of function a, or NULL. */
struct device *device_by_addr(pci_addr_t a);
/* Entries left in the device table. */
unsigned device_room(void);
/* A device (and its kernel-held root capability) for function f, after
 * boot (an SR-IOV VF); NULL if the table is full. */
struct device *device_add(const struct pci_func *f);
/* The device a CAP_DEVICE, CAP_REGS or CAP_IRQ capability belongs to. */
struct device *device_of(const struct cap *c);
/* Make c (a capability to d in e's table) d's holder if d has none,
 * creating and attaching its IOMMU domain (charged to e) when one covers
 * it.  Errors: -E_BUSY (held through another capability), -E_QUOTA,
 * -E_NOMEM, -E_NOSPC (no domain id). */
int device_claim(struct device *d, struct cap *c, struct env *e);
/* Disable an SR-IOV PF's VFs (revoking every capability to them), turn
 * bus mastering and interrupts off, reset the function (FLR where
 * offered; its BARs and command register restored), remove every DMA
 * mapping, free the domain, and let go of the holder. */
void device_reset(struct device *d);
/* Whether the filter lets a config write of width bytes at off through
 * (value is the new register value, for the command register; `domain`:
 * the device will have an IOMMU domain when the write is done).
 * Errors: -E_INVAL (width, alignment, range), -E_PERM (the kernel's
 * register), -E_NODEV (bus mastering without an IOMMU domain). */
int device_cfg_write_check(const struct device *d, unsigned off, unsigned width, uint32_t value, bool domain);
/* Whether page `index` of BAR bar is the kernel's (MSI-X table or PBA). */
bool device_bar_page_reserved(const struct device *d, unsigned bar, uint64_t index);
/* Let t use the ports of I/O register capability c.  Errors: -E_NOSPC
 * (VN_IO_RANGES already). */
int device_io_grant(struct env *t, struct cap *c);
/* t is being destroyed: drop its port grants. */
void device_io_env_gone(struct env *t);
/* A capability naming d is being deleted (release hook). */
void device_cap_release(struct cap *c);

#endif
