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

#include <ipc.h>
#include <veneer/blkd.h>
#include <veneer/dev.h>

#define SUP_QUOTA 8192              /* pages: drvsup's and each blkd instance's */

/* One control call to blkd; the reply's status, results in res. */
static long blkd_call(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t res[4])
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg m;
    long r = vn_call(ep, in, -1, &m);
    memcpy(res, m.w, sizeof(m.w));
    return r < 0 ? r : (long)m.w[0];
}

/* The number after key= on the kernel command line, or dflt. */
static uint64_t cmdline_num(const char *key, uint64_t dflt)
{
    size_t n = strlen(key);
    const char *line = (const char *)vn_sysinfo->cmdline;
    for (const char *p = line; *p; p++) {
        if ((p == line || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=') {
            uint64_t v = 0;
            for (p += n + 1; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v;
        }
    }
    return dflt;
}

static capref_t sup = -1;            /* drvsup's unbadged endpoint, once started */

/* Start drvsup (and so blkd) on the NVMe controller the kernel left to
 * user space.  Returns its unbadged endpoint.  Errors: -E_NOENT (no
 * controller, or no blkd or drvsup in the archive), -E_NODEV (it did not
 * start). */
static long sup_start(void)
{
    struct vn_devinfo di;
    capref_t dev = -1;
    for (uint64_t i = 0; i < vn_sysinfo->ndevices && dev < 0; i++)
        if (vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di) == 0 && di.class == 1 && di.subclass == 8 &&
            !(di.flags & VN_DEVF_HELD))
            dev = (capref_t)(VN_CAP_DEV_FIRST + i);
    uint64_t size;
    if (dev < 0 || !vn_archive_find("blkd", &size) || !vn_archive_find("drvsup", &size))
        return -E_NOENT;
    /* drvsup gets the archive (to spawn blkd from) where a spawned child
     * has its share, and the device capability beside it, named by arg1. */
    const uint8_t *image = vn_archive_find("drvsup", &size);
    uint64_t entry;
    memcpy(&entry, image + 24, 8);              /* the ELF header's e_entry */
    capref_t drv = vn_spawn_share_stopped("drvsup", SUP_QUOTA, 0, 0, VN_CAP_ARCHIVE, CR_READ | CR_MAP | CR_GRANT, 0);
    long devref = drv < 0 ? drv : vn_cap_grant(dev, drv, CR_ALL);
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP,
                           .rdi = cmdline_num("blk_crash", 0) | cmdline_num("blk_crash_ms", 300) << 32,
                           .rsi = (uint64_t)devref};
    long ep = devref < 0 ? devref : vn_ipc_endpoint(drv);
    if (ep < 0 || vn_env_set_regs(drv, &regs) < 0 || vn_env_start(drv) < 0) {
        printf("posix: cannot start drvsup (%s)\n", vn_strerror(ep < 0 ? ep : -E_INVAL));
        if (drv >= 0)
            vn_cap_delete(drv);
        return -E_NODEV;
    }
    printf("posix: the disk is served by blkd under drvsup (blk=user)\n");
    return ep;                      /* drvsup is init's child: it ends with the instance */
}

/* Contract in posix.h. */
bool disk_blkd_running(void)
{
    return sup >= 0;
}

/* Contract in posix.h. */
long disk_blkd_blocks(uint64_t ns)
{
    if (sup < 0) {
        long ep = sup_start();
        if (ep < 0)
            return ep;
        sup = (capref_t)ep;
    }
    uint64_t res[4];
    long r = blkd_call(sup, BLKD_INFO, ns, 0, 0, res);
    return r < 0 ? r : (long)res[3];
}

/* Contract in posix.h. */
long disk_blkd_extent(uint64_t ns, uint64_t base, uint64_t count)
{
    long blocks = disk_blkd_blocks(ns);
    if (blocks < 0)
        return blocks;
    uint64_t res[4];
    if (count == 0)
        count = (uint64_t)blocks > base ? (uint64_t)blocks - base : 0;
    long r = blkd_call(sup, BLKD_EXTENT, base, count, CR_READ | CR_WRITE | ns << 32, res);
    return r == 0 ? vn_ipc_badge(sup, res[1], CR_READ | CR_WRITE | CR_GRANT) : r;
}
