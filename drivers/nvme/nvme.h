/*
 * NVMe (NVM Express 1.4 over PCIe) as the driver in nvme.c sees it: the
 * controller's registers, the 64-byte submission and 16-byte completion
 * queue entries, the opcodes and the Identify data it reads.  Only what
 * the driver uses; field names follow the specification.
 *
 *   BAR0: registers (CAP, VS, CC, CSTS, AQA, ASQ, ACQ) | doorbells from 0x1000
 *   host: SQ ring (SQE) --tail doorbell--> controller --CQE, phase bit--> CQ ring
 *
 * nvme_admin_cmd is the one way to run an admin command, so that the
 * SR-IOV work (a PF driver issuing Virtualization Management and
 * Namespace Attachment) can reuse it.
 */
#ifndef DRIVERS_NVME_H
#define DRIVERS_NVME_H

#include "drv.h"

struct blkdev;

/* ---- registers (offsets in BAR0) */
#define NVME_REG_CAP   0x00         /* 64-bit */
#define NVME_REG_VS    0x08
#define NVME_REG_INTMS 0x0c
#define NVME_REG_CC    0x14
#define NVME_REG_CSTS  0x1c
#define NVME_REG_AQA   0x24
#define NVME_REG_ASQ   0x28         /* 64-bit */
#define NVME_REG_ACQ   0x30         /* 64-bit */
#define NVME_DOORBELLS 0x1000

#define NVME_CAP_MQES(c)   ((uint32_t)((c) & 0xffff))          /* max queue entries - 1 */
#define NVME_CAP_TO(c)     ((uint32_t)(((c) >> 24) & 0xff))    /* ready timeout, 500 ms units */
#define NVME_CAP_DSTRD(c)  ((uint32_t)(((c) >> 32) & 0xf))     /* doorbell stride: 4 << DSTRD */
#define NVME_CAP_CSS_NVM(c) (((c) >> 37) & 1)
#define NVME_CAP_MPSMIN(c) ((uint32_t)(((c) >> 48) & 0xf))     /* 4 KiB << MPSMIN */

#define NVME_CC_EN       0x1u
#define NVME_CC_IOSQES   (6u << 16)                            /* 64-byte SQEs */
#define NVME_CC_IOCQES   (4u << 20)                            /* 16-byte CQEs */
#define NVME_CSTS_RDY    0x1u
#define NVME_CSTS_CFS    0x2u

/* ---- queue entries */
struct nvme_sqe {
    uint8_t opcode;
    uint8_t flags;                  /* FUSE, PSDT: 0 (PRPs) */
    uint16_t cid;                   /* command identifier, echoed in the CQE */
    uint32_t nsid;
    uint64_t rsvd;
    uint64_t mptr;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "NVMe submission queue entry");

struct nvme_cqe {
    uint32_t dw0;                   /* command specific */
    uint32_t rsvd;
    uint16_t sq_head, sq_id;
    uint16_t cid;
    uint16_t status;                /* bit 0: phase tag; bits 15:1: status field (SC, SCT, ..., DNR) */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "NVMe completion queue entry");

#define NVME_CQE_PHASE(s)  ((s) & 1u)
#define NVME_CQE_STATUS(s) ((uint16_t)((s) >> 1))   /* 0: success */

/* ---- opcodes */
#define NVME_ADM_DELETE_SQ 0x00
#define NVME_ADM_CREATE_SQ 0x01
#define NVME_ADM_DELETE_CQ 0x04
#define NVME_ADM_CREATE_CQ 0x05
#define NVME_ADM_IDENTIFY  0x06
#define NVME_ADM_SET_FEAT  0x09

#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ  0x02
#define NVME_RW_FUA    (1u << 30)   /* cdw12 */

#define NVME_CNS_NS        0x00     /* Identify: a namespace */
#define NVME_CNS_CTRL      0x01     /* ... the controller */
#define NVME_CNS_ACTIVE_NS 0x02     /* ... active namespace ids above nsid */

#define NVME_FEAT_VWC     0x06      /* volatile write cache: cdw11 bit 0 enables it */
#define NVME_FEAT_NQUEUES 0x07      /* number of queues: cdw11 = NCQR << 16 | NSQR, 0-based */

/* Identify Controller: offsets in its 4 KiB. */
#define NVME_IDC_SN   4             /* 20 bytes, ASCII */
#define NVME_IDC_MN   24            /* 40 bytes */
#define NVME_IDC_MDTS 77            /* max transfer: 2^MDTS minimum pages (0: none) */
#define NVME_IDC_NN   516           /* 32-bit: namespaces */
#define NVME_IDC_VWC  525           /* bit 0: a volatile write cache is present */

/* Identify Namespace: offsets. */
#define NVME_IDN_NSZE  0            /* 64-bit: blocks */
#define NVME_IDN_FLBAS 26           /* bits 3:0: the LBA format in use */
#define NVME_IDN_LBAF  128          /* 4 bytes each: MS[15:0], LBADS[23:16] */

struct nvme_ctrl;

/* Run one admin command and wait (bounded: NVME_ADMIN_TIMEOUT_MS) for its
 * completion; *dw0 (if not NULL) gets its result.  The caller fills
 * everything but cid.  Errors: -E_TIMEOUT, -E_IO (the controller's status
 * was not success), -E_NODEV (the controller is broken). */
int nvme_admin_cmd(struct nvme_ctrl *n, struct nvme_sqe *cmd, uint32_t *dw0);
#define NVME_ADMIN_TIMEOUT_MS 2000
/* The status field of the last admin command nvme_admin_cmd completed on
 * n (0: success; SCT in bits 10:8, SC in bits 7:0). */
uint16_t nvme_admin_status(const struct nvme_ctrl *n);
/* The controller behind a blkdev this driver registered. */
struct nvme_ctrl *nvme_ctrl_of(struct blkdev *bd);

/* SR-IOV management (a PF's manager): opcodes and Identify CNS values. */
#define NVME_ADM_NS_ATTACH 0x15     /* cdw10 SEL: 0 attach, 1 detach; data: controller list */
#define NVME_ADM_VIRT_MGMT 0x1c     /* cdw10: ACT 3:0, RT 10:8, CNTLID 31:16; cdw11: NR */
#define NVME_ADM_FW_COMMIT 0x10
#define NVME_CNS_NS_CTRLS  0x12     /* controllers attached to namespace nsid */
#define NVME_CNS_PRI_CAPS  0x14     /* primary controller capabilities */
#define NVME_CNS_SEC_LIST  0x15     /* secondary controller list */
#define NVME_VM_OFFLINE    7
#define NVME_VM_ASSIGN     8
#define NVME_VM_ONLINE     9
#define NVME_VM_RT_VQ      0
#define NVME_VM_RT_VI      1

/* For the home's table of drivers (1b36:0010, QEMU's nvme): probe
 * registers a blkdev (drivers/blkdev.h). */
extern const struct drv_driver nvme_driver;

#endif
