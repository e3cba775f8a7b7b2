/*
 * The driver interface: everything a driver in drivers/ may ask of the
 * home it runs in, and nothing else.  It is the seam between a driver's
 * two homes: the kernel (drivers/home_kernel.c: the kernel owns the function
 * and a kernel IOMMU domain, callbacks run under the kernel lock) and a
 * user-level program over the device, register, interrupt and DMA
 * capabilities of <veneer/dev.h> (drivers/home_user.c: the program holds
 * the device, its domain is the program's, callbacks run from its one
 * thread).  A driver includes this header, <veneer/errors.h> and the
 * interface it serves upward (netdev.h for a NIC, blkdev.h for a disk), so
 * that the same source builds unchanged in either home.
 *
 *   home: match {vendor, device} --probe(d)--> driver
 *   driver --drv_cfg_*, drv_bar_map, drv_dma_*, drv_irq_*, drv_log--> home
 *   device MSI-X vector --> home --fn(ctx), masked until drv_irq_ack--> driver
 *
 * The home serialises every call into the driver (probe, callbacks, the
 * upward interface's calls): the kernel lock in the kernel, the program's
 * one thread in user space.
 */
#ifndef DRIVERS_DRV_H
#define DRIVERS_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DRV_PAGE          4096
#define DRV_DMA_MAX_PAGES 16    /* one DMA allocation: contiguous up to this */
#define DRV_IRQ_MAX       8     /* MSI-X vectors a driver may bind (0..7) */

#define DRV_CFG_COMMAND   0x04  /* the config registers a driver may write */
#define DRV_CFG_STATUS    0x06
#define DRV_CMD_MEM       0x0002
#define DRV_CMD_MASTER    0x0004
#define DRV_CMD_INTX_OFF  0x0400

struct drv_dev;                 /* one PCI function attached to its driver (the home's) */

struct drv_driver {
    const char *name;           /* for logs: "virtio_net" */
    uint16_t vendor, device;    /* the functions it drives */
    /* Take charge of d: 0, or a negative error after which the home gives
     * d back (unbinding its interrupts; the driver frees its DMA memory). */
    int (*probe)(struct drv_dev *d);
};

struct drv_dma {                /* memory the device may read and write */
    void *va;                   /* the CPU's pointer */
    uint64_t iova;              /* the device's address for va (contiguous) */
    size_t len;                 /* whole pages */
};

/* Config space at off (aligned to width 1, 2 or 4, below 4096); all ones
 * outside. */
uint32_t drv_cfg_read(struct drv_dev *d, unsigned off, unsigned width);
/* Write the command or status register (width 2); bus mastering lets the
 * device reach memory from drv_dma_alloc only.  Errors: -E_INVAL (width,
 * alignment), -E_PERM (any other register: BARs, MSI-X and capabilities
 * are the home's). */
int drv_cfg_write(struct drv_dev *d, unsigned off, unsigned width, uint32_t v);
/* Map memory BAR bar uncached: *regs points at its first byte, *size is
 * its length.  The MSI-X table and PBA pages are the home's: never touch
 * them (a user-level home leaves them unmapped).  Errors: -E_INVAL (no
 * such memory BAR, or it has no address), -E_NOMEM. */
int drv_bar_map(struct drv_dev *d, unsigned bar, volatile void **regs, uint64_t *size);
/* len bytes (rounded up to pages, at most DRV_DMA_MAX_PAGES) of zeroed
 * memory, contiguous for the CPU and the device, which may read and write
 * it.  Errors: -E_INVAL (len 0 or too large), -E_NOMEM, -E_QUOTA, -E_NODEV
 * (a user-level home whose device no IOMMU confines: it may not DMA). */
int drv_dma_alloc(struct drv_dev *d, size_t len, struct drv_dma *out);
/* Give back m; the device must no longer use it (reset, or bus mastering
 * off). */
void drv_dma_free(struct drv_dev *d, struct drv_dma *m);
/* Bind MSI-X vector `vector` (turning MSI-X on): each interrupt calls
 * fn(ctx) once and leaves the vector masked until drv_irq_ack, which the
 * driver calls once it has drained what the interrupt announced.
 * Errors: -E_INVAL (vector, no such MSI-X entry), -E_BUSY (bound),
 * -E_NOSPC (no vector free), -E_NODEV, -E_NOMEM. */
int drv_irq_bind(struct drv_dev *d, unsigned vector, void (*fn)(void *ctx), void *ctx);
void drv_irq_ack(struct drv_dev *d, unsigned vector);
/* Cut the device off: bus mastering off, every interrupt unbound.  For a
 * driver giving up on a device that misbehaves or did not come up. */
void drv_quiesce(struct drv_dev *d);
/* Microseconds since some fixed moment, for bounding waits on the device. */
uint64_t drv_time_us(void);
/* One log line, prefixed with the driver's name and the function's
 * address (no newline needed). */
void drv_log(struct drv_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The CPU's view of the page-offset byte at iova of a request the device
 * is serving (mapped for it by the home), or NULL if nothing is mapped
 * there or the home cannot see it (a user-level home). */
const void *drv_dma_peek(struct drv_dev *d, uint64_t iova);
/* The boot command line's key=value (false: absent, or a user-level
 * home, which has no say on it). */
bool drv_cmdline_get(const char *key, char *buf, size_t len);

/* Order memory accesses (rings in DMA memory, registers) both ways. */
static inline void drv_barrier(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif
