/*
 * Capabilities as libOSes see them.  A capref names a slot in the calling
 * environment's capability table; its upper bits carry the slot's
 * generation, so a reference to a deleted capability stays invalid even
 * after the slot is reused.  Rights only ever shrink along a derivation.
 */
#ifndef VENEER_CAP_H
#define VENEER_CAP_H

#include <stdint.h>

typedef int32_t capref_t;

#define CAPREF_SLOT_BITS 16
#define CAPREF_SLOT(c)   ((uint32_t)(c) & 0xffff)
#define CAPREF_GEN(c)    (((uint32_t)(c) >> CAPREF_SLOT_BITS) & 0x7fff)
#define CAPREF_MAKE(slot, gen) ((capref_t)((((gen) & 0x7fff) << CAPREF_SLOT_BITS) | (slot)))

#define CAP_SELF 0      /* slot 0 of every table: the environment's own cap */
#define VN_CAP_ARCHIVE 1 /* first environment: the boot archive, read-only */

/* Capability types. */
enum vn_cap_type {
    CAP_NONE = 0,       /* empty slot */
    CAP_ENV  = 1,       /* an environment */
    CAP_PAGE = 2,       /* a run of physical pages [base, base + count) */
    CAP_ENDPOINT = 3,   /* the IPC entry of an environment: CR_WRITE to call it;
                           carries a badge (0: none) delivered with each call */
    CAP_NOTIFY = 4,     /* a notification word: CR_WRITE to signal, CR_READ to wait */
    CAP_DEVICE = 5,     /* a PCI function (see <veneer/dev.h>) */
    CAP_REGS = 6,       /* one BAR of a function: memory pages or I/O ports */
    CAP_IRQ = 7,        /* a device interrupt bound to a notification word */
    CAP_NET = 8,        /* a NIC the kernel drives (see <veneer/net.h>) */
    CAP_FILTER = 9,     /* a packet filter installed on it, with its ring */
    CAP_BLK = 10,       /* blocks [base, base + count) of a disk's namespace (see <veneer/blk.h>) */
    CAP_BLKQ = 11,      /* a block request queue over a ring of the opener's pages */
};

/* Rights.  Each is one power; on an environment none implies another, so
 * a partner that may wake it or run it cannot take it over:
 *
 *   right       page              environment                    endpoint / notify
 *   CR_READ     map readable      (inspect)                      - / wait, poll
 *   CR_WRITE    map writable      write its capability table:    call / signal
 *                                 grant, share, charge pages,
 *                                 make its IPC endpoint
 *   CR_MAP      map               map into its address space     -
 *   CR_GRANT    derive, grant     derive, grant                  derive, grant, badge
 *   CR_CONTROL  -                 start, set registers, quota,   -
 *                                 share, destroy
 *   CR_UPCALL   -                 set its upcall handlers        -
 *   CR_WAKE     -                 end its env_wait (env_wake)    -
 *   CR_RUN      -                 give it the CPU (yield_to)     -
 */
#define CR_READ    0x01u
#define CR_WRITE   0x02u
#define CR_MAP     0x04u
#define CR_GRANT   0x08u
#define CR_CONTROL 0x10u
#define CR_UPCALL  0x20u
#define CR_WAKE    0x40u
#define CR_RUN     0x80u
#define CR_ALL     0xffu
/* What an environment holds on itself (CAP_SELF): all but CR_CONTROL. */
#define CR_SELF    (CR_ALL & ~CR_CONTROL)

/* What cap_info() reports. */
struct vn_capinfo {
    uint32_t type;          /* enum vn_cap_type */
    uint32_t rights;        /* CR_* */
    uint64_t object;        /* CAP_ENV: envid; CAP_PAGE, CAP_REGS: first physical address (or
                               port); CAP_DEVICE: PCI address; CAP_IRQ: CPU vector;
                               CAP_BLK: first block; CAP_BLKQ: queue slot */
    uint64_t count;         /* CAP_PAGE, CAP_REGS: pages (or ports); CAP_ENV: 1;
                               CAP_ENDPOINT: badge; CAP_DEVICE: 1; CAP_IRQ: deliveries;
                               CAP_BLK: blocks; CAP_BLKQ: 1 */
    int32_t  env_status;    /* CAP_ENV: 1 alive, 0 exited, -1 killed */
    int32_t  exit_status;   /* CAP_ENV: status passed to env_exit, once exited */
};

_Static_assert(sizeof(struct vn_capinfo) == 32, "vn_capinfo ABI");

#endif
