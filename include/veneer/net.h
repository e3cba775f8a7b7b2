/*
 * The network as libOSes see it: the kernel drives the NIC and only
 * multiplexes it (Aegis/Xok's answer); every protocol lives in the libOS.
 *
 *   NIC --rx--> kernel classifier (all filters merged) --copy--> owner's ring + notify
 *   libOS frame (its page) --net_send--> ownership check (the reply would be its own) --> NIC
 *
 * The first environment receives the NIC's root capability (CAP_NET) in
 * slot vn_sysinfo.net_cap (-1: no NIC).  Holders of a CAP_NET with CR_WRITE
 * install packet filters (net_filter): a small program over the frame's
 * first VN_PF_MAX_OFF bytes, verified once at install, bound to a receive
 * ring made of the installer's own pages and to a notification word.  Two
 * filters that could both match a frame are refused unless one's network
 * capability derives from the other's (then the derived, more specific one
 * wins) or both are VN_PF_SHARED (each gets a copy: ARP, broadcasts).  The
 * root's holder may install the default filter (VN_PF_DEFAULT), which
 * receives what no other filter claims.
 *
 * With net=user the NIC is a driver environment's (<veneer/netmux.h>):
 * vn_envinfo.net_cap is then an endpoint, the rings are the same.
 */
#ifndef VENEER_NET_H
#define VENEER_NET_H

#include <stdint.h>

/* ---- filter programs
 *
 * A program is a disjunction of terms, each a conjunction of comparisons:
 *
 *   CMP CMP ... ACCEPT | CMP ... ACCEPT | ... REJECT
 *
 * CMP loads `size` bytes (1, 2 or 4, big-endian) at `off`, masks them and
 * compares with `val`; if they differ it jumps to `fail`, the first
 * instruction of the next term (or the final REJECT), always forward.
 * Loads past the frame's end read zeros (frames are kept zero-padded to
 * VN_PF_MAX_OFF), so a program is memory-safe by construction and bounded
 * by its length; the verifier checks the shape once. */
#define VN_PF_MAX_INSNS 32
#define VN_PF_MAX_OFF   128     /* loads lie within the frame's first 128 bytes */

enum vn_pf_op {
    VN_PF_CMP = 1,
    VN_PF_ACCEPT = 2,
    VN_PF_REJECT = 3,
};

struct vn_pf_insn {
    uint8_t op;                 /* enum vn_pf_op */
    uint8_t size;               /* CMP: 1, 2 or 4 */
    uint16_t off;               /* CMP: byte offset in the frame */
    uint16_t fail;              /* CMP: index to continue at when it fails (> this one) */
    uint16_t pad;               /* 0 */
    uint32_t mask;              /* CMP: non-zero, within size */
    uint32_t val;               /* CMP: within mask */
};

_Static_assert(sizeof(struct vn_pf_insn) == 16, "vn_pf_insn ABI");

/* net_filter flags */
#define VN_PF_SHARED  0x1       /* overlaps other shared filters: every one gets a copy */
#define VN_PF_DEFAULT 0x2       /* what nothing else claims (the program is ignored; root's holder only) */

/* What net_filter installs. */
struct vn_filter_req {
    uint64_t prog;              /* const struct vn_pf_insn *: the program */
    uint32_t n;                 /* its instructions */
    uint32_t flags;             /* VN_PF_* */
    int32_t ring;               /* capref of the ring's pages (CR_WRITE): 2..VN_RING_PAGES_MAX */
    int32_t notify;             /* capref of the notification word (CR_WRITE) */
    uint64_t bits;              /* signalled on each delivery */
};

_Static_assert(sizeof(struct vn_filter_req) == 32, "vn_filter_req ABI");

#define VN_NET_DEPTH_MAX 16     /* derivations of CAP_NET a filter may be installed through */

/* ---- the receive ring: the installer's pages, written by the kernel
 *
 *   page 0: struct vn_rxring (head, tail, counters)
 *   pages 1..n-1: slots of VN_RX_SLOT bytes, VN_RX_SLOTS_PER_PAGE a page
 *
 * The kernel fills slot head % nslots and then advances head; the libOS
 * consumes from tail and advances it.  head - tail == nslots: full, and
 * the kernel drops the frame (counting it) rather than wait. */
#define VN_RX_SLOT           2048
#define VN_RX_SLOTS_PER_PAGE 2
#define VN_RING_PAGES_MAX    65  /* 128 slots */
#define VN_FRAME_MAX         1514   /* without FCS */

struct vn_rxslot {
    uint16_t len;               /* frame length */
    uint16_t flags;
    uint32_t pad;
    uint8_t data[VN_RX_SLOT - 8];
};

struct vn_rxring {
    volatile uint32_t head;     /* kernel: slots filled */
    volatile uint32_t tail;     /* libOS: slots consumed */
    uint32_t nslots;            /* set at install */
    uint32_t pad;
    volatile uint64_t frames;   /* delivered */
    volatile uint64_t dropped;  /* dropped because the ring was full */
};

/* What net_info reports. */
struct vn_netinfo {
    uint8_t mac[6];
    uint16_t mtu;
    uint32_t flags;             /* VN_NET_* */
    uint64_t rx_frames, tx_frames;
    uint64_t rx_unclaimed;      /* no filter and no default: dropped */
    uint64_t rx_dropped;        /* ring full */
    uint64_t tx_refused;        /* failed the ownership check */
    uint32_t filters;           /* installed now */
    uint32_t pad;
    uint64_t rx_classify_tsc;   /* TSC ticks spent classifying received frames (under -icount:
                                   instructions), for the demultiplexing cost per frame */
};

#define VN_NET_LINK_UP 0x1

#endif
