/*
 * SR-IOV: a PF's holder enables N virtual functions and receives a device
 * capability to each (sys_device.c: dev_sriov, dev_vf); each VF is then a
 * device like any other, with its own holder, IOMMU domain (its own
 * requester id), interrupts and reset.  The SR-IOV capability lives in the
 * PF's extended config space, which the filter never lets a holder write,
 * so the kernel alone programs it:
 *
 *   boot (pci.c, pci_place.c): VF BAR0 sized and placed for TotalVFs VFs
 *   enable:  System Page Size = 4 KiB, NumVFs = n, VF Enable | VF MSE;
 *            VF i at routing id PF + First VF Offset + i * VF Stride,
 *            recorded with the PF's VF Device ID (a VF reads 0xffff) and
 *            BAR0 = VF BAR0 + i * one VF's size, Command.MSE on
 *   disable: every VF capability revoked first (holders reset), then VF
 *            Enable and NumVFs cleared; also when the PF itself is reset
 *            (dev_reset, its holder's capability gone)
 *
 * VF records stay in the PCI and device tables once made (enabling again
 * reuses them), so the work of enable and disable is bounded by TotalVFs
 * and the tables' sizes, never by a count the caller chose beyond them.
 */
#include <veneer/errors.h>
#include "cap.h"
#include "panic.h"
#include "sriov.h"

#define SRIOV_CTRL     0x08
#define SRIOV_CTRL_VFE 0x0001
#define SRIOV_CTRL_MSE 0x0008
#define SRIOV_NUM_VFS  0x10
#define SRIOV_PAGE     0x20     /* System Page Size: bit 0 = 4 KiB */
#define RID_NONE       0x10000u

/* Routing id of VF i of f (RID_NONE if beyond the segment's). */
static uint32_t vf_rid(const struct pci_func *f, unsigned i)
{
    uint32_t rid = (f->addr & 0xffff) + f->sriov_vf_offset + i * (uint32_t)f->sriov_vf_stride;
    return rid > 0xffff ? RID_NONE : rid;
}

static pci_addr_t vf_addr(const struct pci_func *f, unsigned i)
{
    return (f->addr & ~0xffffu) | vf_rid(f, i);
}

int sriov_check(const struct device *pf, unsigned n)
{
    const struct pci_func *f = pf->f;
    if (!f->sriov_off || f->vf || !f->sriov_bar.placed || n > f->sriov_total_vfs || !f->sriov_vf_offset)
        return -E_INVAL;
    if (n && pf->nvfs)
        return -E_BUSY;
    unsigned funcs = 0, devs = 0;
    for (unsigned i = 0; i < n; i++) {
        if (vf_rid(f, i) == RID_NONE || (i && !f->sriov_vf_stride))
            return -E_INVAL;
        const struct pci_func *g = pci_func_by_addr(vf_addr(f, i));
        if (g && !g->vf)
            return -E_INVAL;    /* a function of its own is there */
        funcs += !g;
        devs += !device_by_addr(vf_addr(f, i));
    }
    return funcs > pci_func_room() || devs > device_room() ? -E_NOSPC : 0;
}

void sriov_enable(struct device *pf, unsigned n)
{
    const struct pci_func *f = pf->f;
    pci_addr_t a = f->addr;
    unsigned off = f->sriov_off;
    pci_cfg_write32(a, off + SRIOV_PAGE, 1);
    pci_cfg_write16(a, off + SRIOV_NUM_VFS, (uint16_t)n);
    pci_cfg_write16(a, off + SRIOV_CTRL, pci_cfg_read16(a, off + SRIOV_CTRL) | SRIOV_CTRL_VFE | SRIOV_CTRL_MSE);
    for (unsigned i = 0; i < n; i++) {
        pci_addr_t v = vf_addr(f, i);
        const struct pci_func *g = pci_vf_record(f, v, i);
        if (!g || (!device_by_addr(v) && !device_add(g)))
            panic("sriov_enable: no room for VF %u after the checks", i);
        pci_cfg_write16(v, PCI_CFG_COMMAND, VN_CMD_MEM | VN_CMD_INTX_OFF);
    }
    pf->nvfs = (uint16_t)n;
}

void sriov_disable(struct device *pf)
{
    const struct pci_func *f = pf->f;
    for (unsigned i = 0; i < pf->nvfs; i++) {
        struct device *d = device_by_addr(vf_addr(f, i));
        cap_revoke(&d->root);           /* the holder's capability among them: device_reset */
        if (d->holder)
            panic("sriov_disable: VF %u still held", i);
    }
    unsigned off = f->sriov_off;
    pci_cfg_write16(f->addr, off + SRIOV_CTRL,
                    pci_cfg_read16(f->addr, off + SRIOV_CTRL) & ~(SRIOV_CTRL_VFE | SRIOV_CTRL_MSE));
    pci_cfg_write16(f->addr, off + SRIOV_NUM_VFS, 0);
    pf->nvfs = 0;
}

struct device *sriov_vf(const struct device *pf, unsigned i)
{
    return i < pf->nvfs ? device_by_addr(vf_addr(pf->f, i)) : NULL;
}
