/*
 * A block extent in either home (blk_home.h has the design): the three
 * calls a ring's owner makes, as syscalls to the kernel or as badged IPC
 * to a driver environment.
 */
#include "blk_home.h"

#include <ipc.h>
#include <vn.h>
#include <veneer/blkd.h>

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
