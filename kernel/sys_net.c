/*
 * Syscall glue for the network: decode the capabilities and the request,
 * copy the program or the frame in once, then call net.c.
 */
#include <veneer/errors.h>
#include "env.h"
#include "net.h"
#include "syscall_decl.h"
#include "user_copy.h"

static struct vn_pf_insn prog_buf[VN_PF_MAX_INSNS];    /* the kernel is entered by one CPU at a time */
static uint8_t frame_buf[VN_FRAME_MAX];

long sys_net_info(capref_t nic, struct vn_netinfo *info)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), nic, CAP_NET, CR_READ, &c);
    if (r < 0)
        return r;
    struct vn_netinfo in;
    net_info(&in);
    return copy_to_user((uint64_t)info, &in, sizeof(in));
}

long sys_net_filter(capref_t nic, const struct vn_filter_req *req)
{
    struct env *e = arch_curenv();
    struct cap *c, *ring, *nc;
    struct vn_filter_req q;
    int r = env_cap_lookup(e, nic, CAP_NET, CR_WRITE, &c);
    if (r < 0 || (r = copy_from_user(&q, (uint64_t)req, sizeof(q))) < 0)
        return r;
    if (q.n > VN_PF_MAX_INSNS || (!(q.flags & VN_PF_DEFAULT) && q.n == 0))
        return -E_INVAL;
    if ((r = env_cap_lookup(e, q.ring, CAP_PAGE, CR_WRITE, &ring)) < 0 ||
        (r = env_cap_lookup(e, q.notify, CAP_NOTIFY, CR_WRITE, &nc)) < 0 ||
        (r = copy_from_user(prog_buf, q.prog, q.n * sizeof(prog_buf[0]))) < 0)
        return r;
    if (q.bits & ~VN_NOTIFY_BITS)
        return -E_INVAL;
    capref_t out;
    if ((r = net_filter_install(e, c, prog_buf, q.n, q.flags, ring, (struct notify *)nc->obj, q.bits, &out)) < 0)
        return r;
    return out;
}

long sys_net_send(capref_t filter, const void *frame, size_t len)
{
    struct cap *c;
    int r = env_cap_lookup(arch_curenv(), filter, CAP_FILTER, CR_WRITE, &c);
    if (r < 0)
        return r;
    struct net_filter *f = net_filter_of(c);
    if (!f)
        return -E_NOENT;
    if (len < 14 || len > VN_FRAME_MAX)
        return -E_INVAL;
    if ((r = copy_from_user(frame_buf, (uint64_t)frame, len)) < 0)
        return r;
    return net_send(f, frame_buf, len);
}
