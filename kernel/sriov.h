/*
 * SR-IOV virtual functions (sriov.c): the mechanism by which the holder
 * of a PF's device capability turns its VFs on and off.  The policy (how
 * many, what each VF's controller gets, who drives it) is the holder's.
 * All under the kernel lock.
 */
#ifndef KERNEL_SRIOV_H
#define KERNEL_SRIOV_H

#include "device.h"

/* Whether pf may go to n enabled VFs (0: disable): pf is an SR-IOV PF
 * whose VF BAR0 was placed, n <= TotalVFs, no VF enabled yet unless n is
 * 0, every VF's address free or already a VF, and room in the PCI and
 * device tables.  Errors: -E_INVAL, -E_BUSY, -E_NOSPC. */
int sriov_check(const struct device *pf, unsigned n);
/* Enable n VFs of pf (sriov_check passed): System Page Size, NumVFs, VF
 * Enable and VF MSE, each VF recorded as a PCI function and a device with
 * its memory decoding on (bus mastering is its holder's). */
void sriov_enable(struct device *pf, unsigned n);
/* Revoke every capability to pf's VFs (their holders' DMA and interrupts
 * reset as for any device), then clear VF Enable and NumVFs. */
void sriov_disable(struct device *pf);
/* pf's enabled VF i, or NULL. */
struct device *sriov_vf(const struct device *pf, unsigned i);

#endif
