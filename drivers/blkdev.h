/*
 * Block devices as their users see them: the interface between the
 * storage drivers in drivers/ (nvme) and what sits on top of them in the
 * driver's home (drv.h): the kernel's block layer (kernel/blk.c) in the
 * kernel home, the application that owns the controller in a user-level
 * home (drivers/home_user.c, user/nvme_app.c).  A driver registers one
 * struct blkdev per controller at probe, with its namespaces; the user
 * submits requests whose data pages it has already made reachable by the
 * device (IOVAs in the function's domain: the kernel maps them, a user
 * home allocates them with drv_dma_alloc), and the driver calls each
 * request's done() once the device completed it.  The home serialises it
 * all (the kernel lock, or the one thread of a user home); done() comes
 * from the driver's interrupt callback.
 *
 *   user --room(): free hardware slots; submit(req)--> driver --SQE--> device
 *   device --interrupt--> driver --req->done(req, 0 | -E_IO | -E_NODEV)--> user
 *
 * A request's data is npages IOVA-contiguous whole pages from iova; the
 * transfer is the first nblocks * block_size bytes of them.  A completed
 * write is durable only after a completed FLUSH (or with BLKDEV_FUA) when
 * the device has a volatile write cache.
 */
#ifndef DRIVERS_BLKDEV_H
#define DRIVERS_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <veneer/errors.h>

#define BLKDEV_MAX       2          /* controllers */
#define BLKDEV_NS_MAX    4          /* namespaces per controller */
#define BLKDEV_PAGES_MAX 64         /* data pages of one request (256 KiB) */

enum blkdev_op { BLKDEV_READ = 1, BLKDEV_WRITE = 2, BLKDEV_FLUSH = 3 };
#define BLKDEV_FUA 0x1              /* write: durable when it completes */

struct blkdev;
struct drv_dev;

struct blkdev_ns {
    uint32_t nsid;                  /* the device's name for it */
    uint32_t block_size;            /* bytes: 512 or 4096 */
    uint64_t blocks;
};

struct blkdev_req {
    uint8_t op;                     /* enum blkdev_op */
    uint8_t flags;                  /* BLKDEV_FUA */
    uint16_t npages;                /* READ/WRITE: 1..BLKDEV_PAGES_MAX */
    uint32_t ns;                    /* index in blkdev.ns */
    uint64_t lba;
    uint32_t nblocks;               /* READ/WRITE: >= 1 */
    uint32_t slot;                  /* the driver's, while in flight */
    uint64_t iova;                  /* first data page, as the device sees it */
    void (*done)(struct blkdev_req *r, int status);
    void *ctx;                      /* the submitter's */
};

struct blkdev_ops {
    /* Requests submit would accept now. */
    unsigned (*room)(struct blkdev *bd);
    /* Queue r.  Errors: -E_AGAIN (no room), -E_INVAL (r malformed: ns,
     * range, pages), -E_NODEV (the device stopped). */
    int (*submit)(struct blkdev *bd, struct blkdev_req *r);
};

struct blkdev {
    const char *name;               /* for logs: "nvme 00:04.0" */
    struct drv_dev *drv;            /* its function: the home maps data pages in its domain */
    unsigned nns;
    struct blkdev_ns ns[BLKDEV_NS_MAX];
    uint16_t max_pages;             /* of one request: BLKDEV_PAGES_MAX or the device's limit */
    bool volatile_cache;            /* writes need a FLUSH (or FUA) to be durable */
    bool running;                   /* false once the device misbehaved: every request -E_NODEV */
    const struct blkdev_ops *ops;
    uint64_t submitted, completed, failed;  /* requests; failed: completed with an error */
};

/* A driver's controller, at probe.  Errors: -E_NOSPC (BLKDEV_MAX already). */
int blkdev_register(struct blkdev *bd);
/* The i'th controller registered, or NULL. */
struct blkdev *blkdev_find(unsigned i);

#endif
