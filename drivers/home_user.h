/*
 * A user-level home for the drivers in drivers/ (home_user.c): what a
 * Veneer-native program that drives a device itself calls around the
 * driver.  It attaches a device capability to the driver that matches
 * {vendor, device}, then runs the driver's interrupt callbacks from its
 * one thread:
 *
 *   uhome_init();                              one notification word
 *   uhome_attach(devcap, drivers, n, &d);      probe: the driver registers
 *                                              a blkdev or netdev (drv.h)
 *   for (;;) { submit ...; uhome_wait(t); }    interrupts -> callbacks
 *            (or uhome_poll(): the callbacks, no interrupt, no syscall)
 *   uhome_detach(d);                           device reset, pages back
 *
 * The program is the driver's only caller: it must not call into the
 * driver or the home from more than one thread at a time.
 */
#ifndef DRIVERS_HOME_USER_H
#define DRIVERS_HOME_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <veneer/cap.h>
#include <veneer/dev.h>
#include "drv.h"

struct blkdev;

#define UHOME_DEV_MAX   4           /* devices one home drives (4 x DRV_IRQ_MAX bits of its word) */
#define UHOME_DMA_MAX   64          /* live DMA allocations per device */
#define UHOME_IOVA_BASE 0x10000000ul /* where a device's IOVAs begin (its own domain) */
#define UHOME_FOREVER   (~0ul)      /* uhome_wait: no timeout */

/* Create the home's notification word.  Errors: notify_create's
 * (-E_NOSPC, -E_NOMEM, -E_QUOTA). */
int uhome_init(void);

/* Probe device capability dev (CR_ALL: it becomes the device's holder)
 * with the first of the n drivers matching its {vendor, device}; *out
 * gets the attached device.  Errors: -E_NODEV (no driver matches),
 * -E_NOSPC (UHOME_DEV_MAX attached), dev_info's, the probe's (the device
 * is then reset and everything it got is freed). */
int uhome_attach(capref_t dev, const struct drv_driver *const *drivers, unsigned n, struct drv_dev **out);

/* The device capability among the first environment's (VN_CAP_DEV_FIRST
 * on) of function vendor:device, the skip'th such; -E_NOENT if none. */
capref_t uhome_find(uint16_t vendor, uint16_t device, unsigned skip);

/* Wait up to timeout_ns (0: do not sleep; UHOME_FOREVER) for interrupts,
 * then call each bound vector's callback once per interrupt delivered.
 * Returns the callbacks run (0 if none within the timeout).  Errors:
 * notify_wait's other than -E_TIMEOUT. */
long uhome_wait(uint64_t timeout_ns);

/* Call every bound callback once, interrupt or not, without a syscall:
 * a program that polls its device (the driver's callback drains what the
 * device completed).  Acknowledgements of vectors with no interrupt
 * delivered are skipped, so a vector that fired once stays masked while
 * the program polls, and uhome_wait unmasks it again.  Returns the
 * callbacks run. */
long uhome_poll(void);

/* Stop driving d: reset the device (bus mastering, interrupts and every
 * DMA mapping off, no holder), unmap its registers and free every page it
 * still had.  The driver's state is not told: only for a program ending
 * its use of the device (or giving up on it). */
void uhome_detach(struct drv_dev *d);
/* One request on a block device the home drives, waited for by
 * uhome_wait (or, poll true, uhome_poll) for at most timeout_ns.  Returns
 * its status, submit's error, or -E_TIMEOUT (the request is then still
 * the driver's: reset the device before reusing its pages). */
int uhome_blk_sync(struct blkdev *bd, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t iova, uint16_t npages,
                   bool poll, uint64_t timeout_ns);

/* The device capability and identity behind d. */
capref_t uhome_dev_cap(const struct drv_dev *d);
const struct vn_devinfo *uhome_dev_info(const struct drv_dev *d);

#endif
