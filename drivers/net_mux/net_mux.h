/*
 * The pure code of the NIC multiplexer, shared by both of its homes: the
 * kernel's (kernel/net.c) and the user-level driver environment's
 * (user/netmux.c), as drivers/blk_mux/blk_extent.h is for the disk.
 * Nothing here locks, allocates or knows where a ring's pages are: each
 * home finds the slot, these functions decide and fill.
 *
 *   receive:  net_frame_ok, then per owner net_ring_room (head is the
 *             home's own count, the ring's tail the libOS's and trusted
 *             for nothing), net_slot_fill, net_ring_publish
 *   install:  net_filter_shape (flags, bits, ring size), then pf_verify
 *   transmit: net_frame_ok, net_tx_allowed (the NIC's source address and
 *             a reply the sender's filter would receive)
 */
#ifndef DRIVERS_NET_MUX_H
#define DRIVERS_NET_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <veneer/errors.h>
#include <veneer/net.h>
#include "pf/pf.h"

/* Whether len is a frame either home accepts (an Ethernet header, no FCS). */
static inline bool net_frame_ok(size_t len)
{
    return len >= 14 && len <= VN_FRAME_MAX;
}

/* Whether a ring of nslots slots, head filled by the home and tail read
 * from the libOS's page, has room: a tail that makes no sense reads as a
 * full ring, never as room. */
static inline bool net_ring_room(uint32_t head, uint32_t tail, uint32_t nslots)
{
    return (uint32_t)(head - tail) < nslots;
}

/* Copy a frame (net_frame_ok) into slot s. */
static inline void net_slot_fill(struct vn_rxslot *s, const void *frame, size_t len)
{
    __builtin_memcpy(s->data, frame, len);
    s->len = (uint16_t)len;
    s->flags = 0;
}

/* Make slot head (just filled) the libOS's: counters, then the index. */
static inline void net_ring_publish(volatile struct vn_rxring *r, uint32_t head, uint64_t frames)
{
    r->frames = frames;
    __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

/* A ring's header as a new filter starts it. */
static inline void net_ring_reset(volatile struct vn_rxring *r, uint32_t nslots)
{
    r->head = r->tail = 0;
    r->nslots = nslots;
    r->frames = r->dropped = 0;
}

/* The slots of a ring of `pages` pages (the header page, then slots). */
static inline uint32_t net_ring_slots(uint64_t pages)
{
    return (uint32_t)(pages - 1) * VN_RX_SLOTS_PER_PAGE;
}

/* Check an install's flags, bits and ring size (the program is
 * pf_verify's).  Errors: -E_INVAL. */
static inline int net_filter_shape(unsigned flags, uint64_t bits, uint64_t ring_pages)
{
    bool deflt = flags & VN_PF_DEFAULT;
    if ((flags & ~(VN_PF_SHARED | VN_PF_DEFAULT)) || (deflt && (flags & VN_PF_SHARED)) || !bits ||
        ring_pages < 2 || ring_pages > VN_RING_PAGES_MAX)
        return -E_INVAL;
    return 0;
}

static inline void net_swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* The first VN_PF_MAX_OFF bytes of the reply to frame, zero-padded:
 * source and destination swapped at every layer the filters look at
 * (Ethernet, ARP sender and target, IPv4 addresses, TCP/UDP ports). */
static inline void net_reply_view(const uint8_t *frame, size_t len, uint8_t *v)
{
    __builtin_memset(v, 0, VN_PF_MAX_OFF);
    __builtin_memcpy(v, frame, len < VN_PF_MAX_OFF ? len : VN_PF_MAX_OFF);
    net_swap_bytes(v, v + 6, 6);
    uint16_t type = (uint16_t)(v[12] << 8 | v[13]);
    if (type == 0x0806) {                               /* ARP: sender <-> target */
        net_swap_bytes(v + 22, v + 32, 10);
    } else if (type == 0x0800) {                        /* IPv4 */
        unsigned ihl = (v[14] & 0xf) * 4u;
        net_swap_bytes(v + 26, v + 30, 4);
        if ((v[23] == 6 || v[23] == 17) && ihl >= 20 && 14 + ihl + 4 <= VN_PF_MAX_OFF)
            net_swap_bytes(v + 14 + ihl, v + 14 + ihl + 2, 2);  /* TCP/UDP ports */
    }
}

/* Whether frame (net_frame_ok) may leave through a filter of program
 * prog[0..n): it carries the NIC's address mac as its source, and the
 * filter would receive its reply (or the filter is the default one, whose
 * holder may send any frame from the NIC's address). */
static inline bool net_tx_allowed(const uint8_t *frame, size_t len, const uint8_t mac[6], bool deflt,
                                  const struct vn_pf_insn *prog, unsigned n)
{
    uint8_t v[VN_PF_MAX_OFF];
    if (__builtin_memcmp(frame + 6, mac, 6) != 0)
        return false;
    if (deflt)
        return true;
    net_reply_view(frame, len, v);
    return pf_run(prog, n, v);
}

#endif
