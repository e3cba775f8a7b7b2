/*
 * A block extent in either home (blk_home.h has the design): the three
 * calls a ring's owner makes, as syscalls to the kernel or as badged IPC
 * to a driver environment; and for whoever starts a user-level home
 * (blk=user), starting drvsup and minting its extents.
 */
#include "blk_home.h"

#include <ipc.h>
#include <libveneer.h>
#include <vn.h>
#include <veneer/blkd.h>
#include <veneer/dev.h>
#include <veneer/memlayout.h>

/* One call to a driver environment; its status (w[0]) or the call's error. */
static long drv_call(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, capref_t xfer,
                     struct vn_msg *m)
{
    uint64_t in[4] = {op, a, b, c};
    long r = vn_call(ep, in, xfer, m);
    return r < 0 ? r : (long)m->w[0];
}

/* Contract in blk_home.h. */
long blk_home_info(capref_t ext, capref_t *ep, struct vn_blkinfo *bi)
{
    struct vn_capinfo ci;
    struct vn_msg m = {0}, w = {0};
    *ep = -1;
    if (vn_cap_info(ext, &ci) != 0 || ci.type != CAP_ENDPOINT)
        return vn_blk_info(ext, bi);
    long r = drv_call(ext, BLKD_INFO, 0, 0, 0, -1, &m);
    if (r == 0)
        r = drv_call(ext, BLKD_WHERE, 0, 0, 0, -1, &w);
    if (r < 0)
        return r;
    *bi = (struct vn_blkinfo){.base = w.w[1], .count = m.w[1], .ns_blocks = m.w[3],
                              .block_size = (uint32_t)m.w[2], .nsid = (uint32_t)w.w[2],
                              .flags = (uint32_t)(m.w[2] >> 32)};
    *ep = ext;
    return 0;
}

/* Contract in blk_home.h. */
long blk_home_queue(capref_t ext, capref_t ep, capref_t data, const struct vn_blkq_req *qr)
{
    if (ep < 0)
        return vn_blk_queue(ext, qr);
    struct vn_msg m;
    long r = drv_call(ep, BLKD_GRANT, (uint64_t)qr->ring, 0, 0, qr->ring, &m);
    if (r == 0 && data >= 0)
        r = drv_call(ep, BLKD_GRANT, (uint64_t)data, 0, 0, data, &m);
    if (r == 0)
        r = drv_call(ep, BLKD_QUEUE, (uint32_t)qr->ring | (uint64_t)(uint32_t)ext << 32,
                     qr->nslots | (uint64_t)qr->inflight << 32, qr->bits, qr->notify, &m);
    return r == 0 ? (long)m.w[1] : r;
}

/* Contract in blk_home.h. */
long blk_home_doorbell(capref_t ep, capref_t q, uint64_t *epoch, uint32_t *start)
{
    if (ep < 0)
        return vn_blk_doorbell(q);
    struct vn_msg m;
    long r = drv_call(ep, BLKD_DOORBELL, (uint64_t)q, 0, 0, -1, &m);
    if (r >= 0) {
        *epoch = m.w[1];
        *start = (uint32_t)m.w[2];
    }
    return r;
}

/* Contract in blk_home.h. */
long blk_home_find_nvme(void)
{
    struct vn_devinfo di;
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++)
        if (vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di) == 0 && di.class == 1 && di.subclass == 8 &&
            !(di.flags & VN_DEVF_HELD))
            return (long)(VN_CAP_DEV_FIRST + i);
    return -E_NOENT;
}

/* Contract in blk_home.h. */
long blk_home_drvsup_start(capref_t dev, uint64_t quota, uint64_t arg0, capref_t *env)
{
    uint64_t size;
    const uint8_t *image = vn_archive_find("drvsup", &size);
    if (!image || size < 64 || !vn_archive_find("blkd", &size))
        return -E_NOENT;
    /* drvsup gets the archive (to spawn blkd from) where a spawned child
     * has its share, and the device capability beside it, named by arg1. */
    uint64_t entry;
    memcpy(&entry, image + 24, 8);              /* the ELF header's e_entry */
    capref_t drv = vn_spawn_share_stopped("drvsup", quota, 0, 0, VN_CAP_ARCHIVE, CR_READ | CR_MAP | CR_GRANT, 0);
    long devref = drv < 0 ? drv : vn_cap_grant(dev, drv, CR_ALL);
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP, .rdi = arg0, .rsi = (uint64_t)devref};
    long ep = devref < 0 ? devref : vn_ipc_endpoint(drv);
    long r = ep < 0 ? ep : vn_env_set_regs(drv, &regs);
    if (r >= 0)
        r = vn_env_start(drv);
    if (r < 0) {
        if (drv >= 0)
            vn_cap_delete(drv);
        return r;
    }
    *env = drv;
    return ep;
}

/* Contract in blk_home.h. */
long blk_home_ns_blocks(capref_t sup, uint64_t ns)
{
    struct vn_msg m;
    long r = drv_call(sup, BLKD_INFO, ns, 0, 0, -1, &m);
    return r < 0 ? r : (long)m.w[3];
}

/* Contract in blk_home.h. */
long blk_home_extent(capref_t sup, uint64_t ns, uint64_t base, uint64_t count)
{
    long size = blk_home_ns_blocks(sup, ns);
    if (size < 0)
        return size;
    if (count == 0)
        count = (uint64_t)size > base ? (uint64_t)size - base : 0;
    struct vn_msg m;
    long r = drv_call(sup, BLKD_EXTENT, base, count, CR_READ | CR_WRITE | ns << 32, -1, &m);
    return r == 0 ? vn_ipc_badge(sup, m.w[1], CR_READ | CR_WRITE | CR_GRANT) : r;
}
