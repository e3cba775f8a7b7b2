/* The kernel as a home for the drivers in drivers/ (drv_kernel.c). */
#ifndef KERNEL_DRV_KERNEL_H
#define KERNEL_DRV_KERNEL_H

/* Boot, after irq_init and before device_init: attach every PCI function
 * a kernel driver matches and probe it; the kernel owns the ones probed
 * (device_init does not hand them out), the others are given back. */
void drv_probe_all(void);

#endif
