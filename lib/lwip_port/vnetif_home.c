/*
 * vnetif's two homes (see vnetif_home.h).  The home is the capability's
 * type, looked at once in vnet_home_open:
 *
 *   CAP_NET       net_info / net_filter / net_send: the kernel multiplexes
 *   CAP_ENDPOINT  netmux (net=user): NETMUX_GRANT each ring's pages once
 *                 (ungranted before they are freed), NETMUX_FILTER with
 *                 the program written at NETMUX_PROG_OFF in the ring's
 *                 first page and the word as the call's capability,
 *                 NETMUX_SEND of a frame copied into one granted page
 *
 * netmux's filter ids start at 0; vnetif keeps them + 1, so that "> 0"
 * means a filter in both homes.
 */
#include <ipc.h>
#include <vn.h>
#include <veneer/netmux.h>
#include "vnetif_home.h"

static long mux_call(struct vnetif *v, uint64_t op, uint64_t a, uint64_t b, uint64_t c, capref_t xfer,
                     uint64_t *res1)
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg m;
    long r = vn_call(v->nic, in, xfer, &m);
    if (r < 0)
        return r;
    if (res1)
        *res1 = m.w[1];
    return (long)m.w[0];
}

/* Grant pages (their root capref) to netmux; *handle names them there. */
static long mux_grant(struct vnetif *v, capref_t pages, int32_t *handle)
{
    uint64_t h;
    long r = mux_call(v, NETMUX_GRANT, 0, 0, 0, pages, &h);
    if (r == 0)
        *handle = (int32_t)h;
    return r;
}

long vnet_home_open(struct vnetif *v, struct vn_netinfo *info)
{
    struct vn_capinfo ci;
    long r = vn_cap_info(v->nic, &ci);
    if (r < 0)
        return r;
    v->mux = ci.type == CAP_ENDPOINT;
    v->tx_pages = -1;
    if (ci.type == CAP_NET)
        return vn_net_info(v->nic, info);
    if (!v->mux)
        return -E_TYPE;
    uint64_t w[4] = {NETMUX_INFO, 0, 0, 0};
    struct vn_msg m;
    if ((r = vn_call(v->nic, w, -1, &m)) < 0 || (r = (long)m.w[0]) < 0)
        return r;
    *info = (struct vn_netinfo){.mtu = (uint16_t)(m.w[1] >> 48), .flags = (uint32_t)m.w[2],
                                .filters = (uint32_t)m.w[3]};
    memcpy(info->mac, &m.w[1], 6);
    long pages = vn_page_alloc(CAP_SELF, 0, 1);
    if (pages < 0)
        return pages;
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry me = {va, (capref_t)pages, VM_PROT_WRITE, 0};
    if ((r = vn_page_map(CAP_SELF, &me, 1)) < 0 || (r = mux_grant(v, (capref_t)pages, &v->tx_grant)) < 0) {
        vn_cap_delete((capref_t)pages);
        return r;
    }
    v->tx_pages = (capref_t)pages;
    v->tx_page = (uint8_t *)va;
    return 0;
}

long vnet_home_filter(struct vnetif *v, struct vnetif_ring *r, const struct vn_pf_insn *prog, size_t n,
                      unsigned flags, uint64_t bit)
{
    if (!v->mux) {
        struct vn_filter_req req = {.prog = (uint64_t)prog, .n = (uint32_t)n, .flags = flags, .ring = r->pages,
                                    .notify = v->notify, .bits = bit};
        return vn_net_filter(v->nic, &req);
    }
    long e;
    if (n > VN_PF_MAX_INSNS)
        return -E_INVAL;
    if (r->grant < 0 && (e = mux_grant(v, r->pages, &r->grant)) < 0)
        return e;
    memcpy((uint8_t *)r->hdr + NETMUX_PROG_OFF, prog, n * sizeof(*prog));
    uint64_t id;
    e = mux_call(v, NETMUX_FILTER, (uint32_t)r->grant | (uint64_t)n << 32, flags, bit, v->notify, &id);
    return e < 0 ? e : (long)id + 1;
}

void vnet_home_unfilter(struct vnetif *v, capref_t f)
{
    if (v->mux)
        mux_call(v, NETMUX_UNFILTER, (uint64_t)f - 1, 0, 0, -1, NULL);
    else
        vn_cap_delete(f);
}

long vnet_home_send(struct vnetif *v, capref_t f, const void *frame, size_t len)
{
    if (!v->mux)
        return vn_net_send(f, frame, len);
    if (len > PAGE_SIZE)
        return -E_INVAL;
    memcpy(v->tx_page, frame, len);
    return mux_call(v, NETMUX_SEND, (uint64_t)f - 1, (uint32_t)v->tx_grant, (uint64_t)len << 32, -1, NULL);
}

void vnet_home_pages_gone(struct vnetif *v, struct vnetif_ring *r)
{
    if (v->mux && r->grant >= 0)
        mux_call(v, NETMUX_UNGRANT, (uint32_t)r->grant, 0, 0, -1, NULL);
    r->grant = -1;
}

void vnet_home_close(struct vnetif *v)
{
    if (v->mux && v->tx_pages >= 0) {
        mux_call(v, NETMUX_UNGRANT, (uint32_t)v->tx_grant, 0, 0, -1, NULL);
        vn_cap_delete(v->tx_pages);
    }
    v->tx_pages = -1;
}
