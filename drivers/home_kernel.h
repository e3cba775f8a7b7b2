/* The kernel as a home for the drivers in drivers/ (home_kernel.c); kernel_main calls it. */
#ifndef DRIVERS_HOME_KERNEL_H
#define DRIVERS_HOME_KERNEL_H

#include <stdbool.h>
#include "types.h"

/* Boot, after irq_init and before device_init: attach every PCI function
 * a kernel driver matches (unless drv_skip=name,... names the driver) and
 * probe it; the kernel owns the ones probed
 * (device_init does not hand them out), the others are given back. */
void drv_probe_all(void);

/* For the kernel's own users of a driver's function (blk.c maps a libOS's
 * data pages for the device's DMA): whether an IOMMU domain confines d
 * (if not, the device uses physical addresses), and map or unmap one page
 * pa at iova in it (readable by the device; writable if device_writes).
 * Without a domain both do nothing.  Errors: iommu_map's (-E_INVAL
 * already mapped or out of range, -E_NOMEM).  Unmapping waits until the
 * device can no longer reach the page; unmapping nothing is a kernel bug. */
struct drv_dev;
bool drv_kernel_translated(struct drv_dev *d);
int drv_kernel_dma_map(struct drv_dev *d, uint64_t iova, paddr_t pa, bool device_writes);
void drv_kernel_dma_unmap(struct drv_dev *d, uint64_t iova);

#endif
