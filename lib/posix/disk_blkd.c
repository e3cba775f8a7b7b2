/*
 * blk=user for the POSIX libOS: when the kernel gave init no disk extent
 * but an NVMe controller's device capability (the kernel left it to user
 * space), init starts the block driver's supervisor (user/drvsup.c) with
 * it, which runs user/blkd.c and restarts it when it dies, and gives fsd
 * a badged endpoint to drvsup where a CAP_BLK would be (each extent init
 * hands out, as weblog.c's split does with the kernel's): fsd's
 * blkdev_veneer.c finds the home from that capability, nothing else in
 * fsd or here changes.  blk_crash=N on the kernel command line (tests)
 * has drvsup kill blkd N times, every blk_crash_ms (default 300) ms.
 */
#include "posix.h"

#include <blk_home.h>

#define SUP_QUOTA 8192              /* pages: drvsup's and each blkd instance's */

static capref_t sup = -1;            /* drvsup's unbadged endpoint, once started */

/* Start drvsup (and so blkd) on the NVMe controller the kernel left to
 * user space.  Returns its unbadged endpoint.  Errors: blk_home's. */
static long sup_start(void)
{
    capref_t drv;
    long dev = blk_home_find_nvme();
    long ep = dev < 0 ? dev : blk_home_drvsup_start((capref_t)dev, SUP_QUOTA,
                                                     vn_cmdline_num("blk_crash", 0) |
                                                     vn_cmdline_num("blk_crash_ms", 300) << 32, &drv);
    if (ep < 0) {
        if (dev >= 0)                   /* no controller: no disk, nothing to say */
            printf("posix: cannot start drvsup (%s)\n", vn_strerror(ep));
        return ep;
    }
    printf("posix: the disk is served by blkd under drvsup (blk=user)\n");
    return ep;                      /* drvsup is init's child: it ends with the instance */
}

/* Contract in posix.h. */
bool disk_blkd_running(void)
{
    return sup >= 0;
}

/* drvsup's endpoint, started at the first call.  Errors: sup_start's. */
static long sup_get(void)
{
    if (sup < 0) {
        long ep = sup_start();
        if (ep < 0)
            return ep;
        sup = (capref_t)ep;
    }
    return sup;
}

/* Contract in posix.h. */
long disk_blkd_blocks(uint64_t ns)
{
    long ep = sup_get();
    return ep < 0 ? ep : blk_home_ns_blocks((capref_t)ep, ns);
}

/* Contract in posix.h. */
long disk_blkd_extent(uint64_t ns, uint64_t base, uint64_t count)
{
    long ep = sup_get();
    return ep < 0 ? ep : blk_home_extent((capref_t)ep, ns, base, count);
}
