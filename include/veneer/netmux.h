/*
 * The protocol of the user-level NIC driver environment (user/netmux.c,
 * net=user): badged IPC to its endpoint for control and transmission;
 * its receive path is the kernel's, unchanged: the vn_rxring of
 * <veneer/net.h> in pages the client grants, the filter's bits ORed into
 * the client's notification word on each arrival.
 *
 * With net=user the kernel starts netmux as a child of the first boot
 * environment, holding the NIC's device capability, and gives every boot
 * environment, in vn_envinfo.net_cap where a CAP_NET would be, an
 * endpoint to it whose badge names the client: badge 1 is the first boot
 * environment's (with CR_CONTROL, as its CAP_NET would have: it alone may
 * install VN_PF_DEFAULT), 2, 3, ... the later ones', in boot order.
 * Copies of an endpoint (netd's, from the POSIX instance) keep its badge:
 * one client.  A client library tells the homes apart by the capability's
 * type (CAP_NET: the syscalls; CAP_ENDPOINT: these calls).
 *
 *   NETMUX_INFO     -> w1 mac (bytes 0..5) | mtu << 48, w2 VN_NET_* flags,
 *                      w3 filters installed (all clients)
 *   NETMUX_GRANT    xfer: pages (CAP_PAGE: CR_MAP|CR_WRITE): -> w1 handle
 *   NETMUX_UNGRANT  w1 handle (no filter on it): -> 0
 *   NETMUX_FILTER   w1 ring handle | n << 32, w2 VN_PF_* flags, w3 bits;
 *                   xfer: the notification word (CR_WRITE); the program,
 *                   n instructions, at NETMUX_PROG_OFF in the ring's first
 *                   page (copied once, then verified, as the kernel does):
 *                   -> w1 filter id; the ring's header is reset
 *   NETMUX_UNFILTER w1 filter id: -> 0
 *   NETMUX_SEND     w1 filter id, w2 handle, w3 offset | len << 32: the
 *                   frame in the granted pages, not crossing a page; the
 *                   same ownership check as net_send: -> 0
 *
 * A reply's w0 is a status: >= 0, or the kernel's codes for the same
 * fault (-E_INVAL, -E_EXIST, -E_PERM, -E_NOSPC, -E_AGAIN, -E_NOENT for a
 * filter or handle not the caller's).
 */
#ifndef VENEER_NETMUX_H
#define VENEER_NETMUX_H

enum netmux_op {
    NETMUX_INFO = 1,
    NETMUX_GRANT = 2,
    NETMUX_UNGRANT = 3,
    NETMUX_FILTER = 4,
    NETMUX_UNFILTER = 5,
    NETMUX_SEND = 6,
};

#define NETMUX_PROG_OFF     256     /* the program's place in a ring's first page */
#define NETMUX_CLIENTS_MAX  16      /* badges 1..16 */
#define NETMUX_GRANTS_MAX   64      /* page grants per client */
#define NETMUX_FILTERS_MAX  128     /* filters installed at once, all clients */
#define NETMUX_BADGE_FIRST  1       /* the first boot environment's badge */

#endif
