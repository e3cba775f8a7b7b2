/*
 * Syscall glue for storage: decode the capabilities and the request, copy
 * it in once, then call blk.c.  Requests themselves come through the
 * queue's ring and are checked there, once each (blk.c).
 */
#include <veneer/errors.h>
#include "blk.h"
#include "env.h"
#include "syscall_decl.h"
#include "user_copy.h"

long sys_blk_info(capref_t ext, struct vn_blkinfo *info)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), ext, CAP_BLK, 0, &c);
    if (r < 0)
        return r;
    struct vn_blkinfo in;
    blk_info(c, &in);
    return copy_to_user((uint64_t)info, &in, sizeof(in));
}

long sys_blk_derive(capref_t ext, uint64_t off, uint64_t count, unsigned rights)
{
    struct env *e = arch_curenv();
    struct cap *c;
    capref_t out;
    int r = env_cap_lookup(e, ext, CAP_BLK, CR_GRANT, &c);
    if (r < 0 || (r = blk_derive(e, c, off, count, rights, &out)) < 0)
        return r;
    return out;
}

long sys_blk_queue(capref_t ext, const struct vn_blkq_req *req)
{
    struct env *e = arch_curenv();
    struct cap *c, *ring, *nc;
    struct vn_blkq_req q;
    int r = env_cap_lookup(e, ext, CAP_BLK, 0, &c);
    if (r < 0 || (r = copy_from_user(&q, (uint64_t)req, sizeof(q))) < 0)
        return r;
    if ((r = env_cap_lookup(e, q.ring, CAP_PAGE, CR_WRITE, &ring)) < 0 ||
        (r = env_cap_lookup(e, q.notify, CAP_NOTIFY, CR_WRITE, &nc)) < 0)
        return r;
    if (q.bits & ~VN_NOTIFY_BITS)
        return -E_INVAL;
    capref_t out;
    if ((r = blk_queue_open(e, c, ring, (struct notify *)nc->obj, q.bits, q.nslots, q.inflight, &out)) < 0)
        return r;
    return out;
}

long sys_blk_doorbell(capref_t queue)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), queue, CAP_BLKQ, CR_WRITE, &c);
    if (r < 0)
        return r;
    return blk_doorbell(c);
}
