/*
 * The driver half of lib/fs's SR-IOV back end (blkdev_vf.c): one NVMe
 * virtual function driven in this program by drivers/nvme through the
 * user-level home (drivers/home_user.c), its one namespace seen as whole
 * blocks.  This header uses plain types only, because the two halves are
 * compiled against different headers: vf_io.c with the drivers' (whose
 * struct blkdev is the driver interface's), blkdev_vf.c with lib/fs's.
 *
 * Errors are the kernel's E_* values, negated (vn.h).
 */
#ifndef VENEER_FS_VF_IO_H
#define VENEER_FS_VF_IO_H

#include <stdint.h>

struct vf_io;

/* Attach the device capability dev (a VF from dev_vf), which must show
 * exactly one namespace, and a bounce buffer in its IOMMU domain.  Gives
 * the namespace's size in bytes and block size.  Errors: uhome_attach's,
 * -E_NODEV (no namespace, or more than one: the manager left a shared
 * one attached), -E_NOMEM. */
int vf_io_open(uint64_t dev, struct vf_io **out, uint64_t *bytes, uint32_t *block_size, uint32_t *nsid);

/* Move len bytes (a multiple of the namespace's block size) at byte
 * offset off (a write may sit in the volatile cache until vf_io_flush).
 * Errors:
 * -E_INVAL (range, alignment), the request's status (-E_IO, -E_NODEV,
 * -E_TIMEOUT: the VF is then unusable). */
int vf_io_read(struct vf_io *v, uint64_t off, uint64_t len, void *buf);
int vf_io_write(struct vf_io *v, uint64_t off, uint64_t len, const void *buf);
/* Flush the controller's volatile cache.  Errors: the request's status. */
int vf_io_flush(struct vf_io *v);
/* Requests run so far. */
uint64_t vf_io_requests(const struct vf_io *v);
/* Detach the VF (reset, its pages freed) and free v. */
void vf_io_close(struct vf_io *v);

#endif
