/*
 * Network devices as their users see them: the interface between the NIC
 * drivers in drivers/ and what sits on top of them in the driver's home
 * (drv.h): the kernel's network layer (kernel/net.c) in the kernel home,
 * the application that owns the NIC (lwIP's vnetif back end in
 * lib/lwip_port/vnetif_own.c) in a user-level home.  A driver registers
 * one struct netdev per NIC at probe; the user finds it, brings it up with
 * its receive upcall, and hands it frames to send.  The home serialises
 * it all (the kernel lock, or the one thread of a user home); the upcall
 * comes from the driver's interrupt callback.
 *
 *   user --netdev_tx: copied into a TX buffer the driver owns--> NIC
 *   NIC --interrupt--> driver --rx(ctx, frame, len)--> user; buffer reposted
 *
 * Frames are Ethernet frames without the FCS, NETDEV_FRAME_MIN to
 * NETDEV_FRAME_MAX bytes; padding to 60 bytes is the sender's business.
 */
#ifndef DRIVERS_NETDEV_H
#define DRIVERS_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <veneer/errors.h>

#define NETDEV_MAX       4
#define NETDEV_FRAME_MIN 14     /* an Ethernet header */
#define NETDEV_FRAME_MAX 1514

struct netdev;

/* What a driver supplies (called through netdev_up and netdev_tx). */
struct netdev_ops {
    int (*up)(struct netdev *nd);
    int (*tx)(struct netdev *nd, const void *frame, size_t len);
};

struct netdev {
    const char *name;               /* for logs: "virtio_net 00:06.0" */
    uint8_t mac[6];
    bool link_up;                   /* as the device last said (at up, and on each interrupt) */
    bool running;                   /* up, and not stopped since (a device that misbehaved is) */
    void (*rx)(void *ctx, const void *frame, size_t len);  /* the user's upcall, set by netdev_up */
    void *rx_ctx;
    const struct netdev_ops *ops;
    uint64_t rx_frames;             /* handed to rx */
    uint64_t rx_errors;             /* received but not handed up (runt, too long) */
    uint64_t tx_frames;             /* queued by netdev_tx */
    uint64_t tx_done;               /* ... and completed by the device */
};

/* A driver's NIC, at probe (ops and mac set).  Errors: -E_NOSPC
 * (NETDEV_MAX already). */
int netdev_register(struct netdev *nd);
/* The i'th NIC registered, or NULL. */
struct netdev *netdev_find(unsigned i);

/* Bring nd up: queues, interrupts, receive buffers posted; from then on
 * rx(ctx, frame, len) is called for each frame received (frame valid
 * during the call only).  Errors: -E_BUSY (already up), -E_NODEV (the
 * device refused or was stopped), -E_NOMEM, -E_NOSPC (no interrupt vector). */
static inline int netdev_up(struct netdev *nd, void (*rx)(void *ctx, const void *frame, size_t len), void *ctx)
{
    if (nd->running)
        return -E_BUSY;
    nd->rx = rx;
    nd->rx_ctx = ctx;
    return nd->ops->up(nd);
}

/* Copy frame into a TX buffer the driver owns and queue it; completed
 * buffers are reclaimed first.  Errors: -E_INVAL (len outside
 * NETDEV_FRAME_MIN..NETDEV_FRAME_MAX), -E_AGAIN (the TX ring is full:
 * retry after the device completed some), -E_NODEV (not running). */
static inline int netdev_tx(struct netdev *nd, const void *frame, size_t len)
{
    return nd->ops->tx(nd, frame, len);
}

#endif
