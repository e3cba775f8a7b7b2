/*
 * blk=user for the POSIX libOS: when the kernel gave init no disk extent
 * but an NVMe controller's device capability (the kernel left it to user
 * space), init starts the block driver environment (user/blkd.c) with
 * it, as its supervisor, and gives fsd a badged endpoint to blkd where a
 * CAP_BLK would be: fsd's blkdev_veneer.c finds the home from that
 * capability, nothing else in fsd or here changes.
 */
#include "posix.h"

#include <ipc.h>
#include <veneer/blkd.h>
#include <veneer/dev.h>

#define BLKD_QUOTA 2048             /* pages: the driver's queues and its ring mappings */

/* One control call to blkd; the reply's status, results in res. */
static long blkd_call(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t res[4])
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg m;
    long r = vn_call(ep, in, -1, &m);
    memcpy(res, m.w, sizeof(m.w));
    return r < 0 ? r : (long)m.w[0];
}

/* Contract in posix.h. */
capref_t disk_blkd_start(void)
{
    struct vn_devinfo di;
    capref_t dev = -1;
    for (uint64_t i = 0; i < vn_sysinfo->ndevices && dev < 0; i++)
        if (vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di) == 0 && di.class == 1 && di.subclass == 8 &&
            !(di.flags & VN_DEVF_HELD))
            dev = (capref_t)(VN_CAP_DEV_FIRST + i);
    uint64_t size;
    if (dev < 0 || !vn_archive_find("blkd", &size))
        return -E_NOENT;
    capref_t drv = vn_spawn_share_stopped("blkd", BLKD_QUOTA, 0, 0, dev, CR_ALL, 0);
    long ep = drv < 0 ? drv : vn_ipc_endpoint(drv);
    if (ep < 0 || vn_env_start(drv) < 0) {
        printf("posix: cannot start blkd (%s)\n", vn_strerror(ep < 0 ? ep : -E_INVAL));
        if (drv >= 0)
            vn_cap_delete(drv);
        return -E_NODEV;
    }
    uint64_t res[4];
    long r = blkd_call((capref_t)ep, BLKD_INFO, 0, 0, 0, res);
    if (r == 0)
        r = blkd_call((capref_t)ep, BLKD_EXTENT, 0, res[3], CR_READ | CR_WRITE, res);
    long client = r == 0 ? vn_ipc_badge((capref_t)ep, res[1], CR_READ | CR_WRITE | CR_GRANT) : r;
    if (client < 0) {
        printf("posix: blkd refused the disk (%s)\n", vn_strerror(client));
        vn_cap_delete(drv);
        return -E_NODEV;
    }
    printf("posix: the disk is served by blkd (blk=user)\n");
    return (capref_t)client;        /* blkd is init's child: it ends with the instance */
}
