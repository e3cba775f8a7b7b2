/*
 * The kernel's SR-IOV mechanism (dev_sriov, dev_vf) on QEMU's NVMe
 * controller with sriov_max_vfs=4, which drv_skip leaves to user space.
 * No driver runs: this checks what the kernel itself does.
 *
 * mode 0, the test: for 1, 2 and 4 VFs: enable; each VF a device
 * capability with the PF's IDs (its config space reads 0xffff), its own
 * address (PF + First VF Offset + i * Stride) and IOMMU domain, BAR0 the
 * i'th window of the PF's VF BAR0, aligned, overlapping no other BAR;
 * its registers decode (CSTS reads CFS: a secondary still offline); the
 * VF's holder cannot write the VF's extended space, BARs, nor reach the
 * SR-IOV controls (dev_sriov and dev_vf refuse a VF); a child given only
 * a VF finds nothing else; disabling revokes every VF capability (a held
 * one with a DMA mapping among them) and clears VF Enable.  Then the
 * refusals: too many VFs, enabling twice, a VF index beyond NumVFs, a
 * device without SR-IOV; and the PF's reset disables its VFs too.
 * mode 1: that child (slot 1 is a VF).
 */
#include <veneer/dev.h>
#include "check.h"

int main(uint64_t mode, uint64_t arg1);

#define EXT_SRIOV   0x0010
#define SR_CTRL     0x08
#define SR_TOTAL    0x0e
#define SR_NUMVFS   0x10
#define SR_OFFSET   0x14
#define SR_STRIDE   0x16
#define SR_BAR0     0x24
#define NVME_CSTS   0x1c

static unsigned sriov_cap(capref_t dev)
{
    unsigned off = 0x100;
    for (unsigned n = 0; off >= 0x100 && n < 48; n++) {
        long h = vn_dev_cfg_read(dev, off, 4);
        if (h <= 0 || h == 0xffffffffl)
            return 0;
        if ((h & 0xffff) == EXT_SRIOV)
            return off;
        off = ((uint32_t)h >> 20) & 0xffc;
    }
    return 0;
}

static capref_t find_pf(unsigned *cap, struct vn_devinfo *di)
{
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        capref_t c = (capref_t)(VN_CAP_DEV_FIRST + i);
        if (vn_dev_info(c, di) == 0 && di->vendor == 0x1b36 && di->device == 0x0010 && (*cap = sriov_cap(c)))
            return c;
    }
    return -1;
}

static bool overlaps(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t s2)
{
    return b1 < b2 + s2 && b2 < b1 + s1;
}

/* Whether [base, base + size) touches a BAR of a boot device. */
static bool hits_boot_bar(uint64_t base, uint64_t size)
{
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        struct vn_devinfo di;
        if (vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di) < 0)
            continue;
        for (unsigned b = 0; b < di.nbars && b < 6; b++)
            if ((di.bar[b].flags & VN_BAR_PLACED) && !(di.bar[b].flags & VN_BAR_IO) &&
                overlaps(base, size, di.bar[b].base, di.bar[b].size))
                return true;
    }
    return false;
}

/* The VF's registers: map BAR0's first page, read CAP and CSTS. */
static void check_regs(capref_t vf)
{
    long regs = vn_dev_regs(vf, 0, CR_READ | CR_WRITE | CR_MAP);
    CHECK(regs > 0);
    if (regs <= 0)
        return;
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)regs, VM_PROT_READ, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    volatile uint32_t *r = (volatile uint32_t *)va;
    uint32_t csts = r[NVME_CSTS / 4];
    CHECK(csts == 2);               /* CFS, from the VF itself: a secondary controller not online yet */
    vn_cap_delete((capref_t)regs);
}

/* The checks of one VF capability; vf0: VF BAR0's base, size: one VF's. */
static void check_vf(capref_t vf, const struct vn_devinfo *pf, unsigned i, unsigned rid0, unsigned stride,
                     uint64_t vf0, uint64_t size)
{
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(vf, &di), 0);
    CHECK(di.vendor == 0x1b36 && di.device == 0x0010);
    CHECK((di.flags & VN_DEVF_VF) && (di.flags & VN_DEVF_IOMMU) && !(di.flags & VN_DEVF_HELD));
    CHECK(di.addr == ((pf->addr & ~0xffffu) | (rid0 + i * stride)));
    CHECK(di.bar[0].flags & VN_BAR_PLACED);
    CHECK(di.bar[0].base == vf0 + i * size && di.bar[0].size == size && di.bar[0].base % size == 0);
    CHECK(!hits_boot_bar(di.bar[0].base, di.bar[0].size));
    CHECK(di.msix_size > 0);
    CHECK_EQ(vn_dev_cfg_read(vf, 0, 2), 0xffff);           /* a real VF */
    CHECK(vn_dev_cfg_read(vf, 4, 2) & VN_CMD_MEM);         /* the kernel turned its decoding on */
    check_regs(vf);
    CHECK_EQ(vn_dev_cfg_write(vf, 0x100, 4, 0), -E_PERM);  /* its extended space */
    CHECK_EQ(vn_dev_cfg_write(vf, 0x10, 4, 0xffffffff), -E_PERM);
    CHECK_EQ(vn_dev_sriov(vf, 1), -E_INVAL);
    CHECK_EQ(vn_dev_vf(vf, 0), -E_INVAL);
}

static int child(void)
{
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(VN_CAP_SPAWN_SHARE, &di), 0);
    CHECK(di.flags & VN_DEVF_VF);
    unsigned others = 0;
    for (capref_t c = 2; c < 64; c++)
        others += vn_dev_info(c, &di) == 0;
    CHECK_EQ(others, 0);
    CHECK_EQ(vn_dev_cfg_write(VN_CAP_SPAWN_SHARE, 0x120 + SR_CTRL, 2, 0), -E_PERM);
    CHECK_EQ(vn_dev_sriov(VN_CAP_SPAWN_SHARE, 0), -E_INVAL);
    CHECK_EQ(vn_dev_cfg_write(VN_CAP_SPAWN_SHARE, 4, 2, VN_CMD_MEM | VN_CMD_MASTER), 0);
    return check_failures != 0;
}

int main(uint64_t mode, uint64_t arg1)
{
    (void)arg1;
    if (mode == 1)
        return child();
    struct vn_devinfo pf;
    unsigned sr = 0;
    capref_t dev = find_pf(&sr, &pf);
    CHECK(dev > 0);
    if (dev <= 0)
        return check_done("sriov_setup");
    unsigned total = (unsigned)vn_dev_cfg_read(dev, sr + SR_TOTAL, 2);
    unsigned rid0 = (pf.addr & 0xffff) + (unsigned)vn_dev_cfg_read(dev, sr + SR_OFFSET, 2);
    unsigned stride = (unsigned)vn_dev_cfg_read(dev, sr + SR_STRIDE, 2);
    uint64_t vf0 = ((uint64_t)vn_dev_cfg_read(dev, sr + SR_BAR0 + 4, 4) << 32) |
                   ((uint64_t)vn_dev_cfg_read(dev, sr + SR_BAR0, 4) & ~0xful);
    CHECK(total == 4 && vf0 != 0);
    printf("sriov_setup: PF %02x:%02x.%x, SR-IOV at %#x, TotalVFs %u, VF BAR0 at %#lx\n", (pf.addr >> 8) & 0xff,
           (pf.addr >> 3) & 0x1f, pf.addr & 7, sr, total, vf0);
    CHECK_EQ(vn_dev_cfg_write(dev, sr + SR_CTRL, 2, 1), -E_PERM);   /* the capability is the kernel's */
    CHECK_EQ(vn_dev_sriov(dev, total + 1), -E_INVAL);
    CHECK_EQ(vn_dev_vf(dev, 0), -E_INVAL);
    static const unsigned counts[] = {1, 2, 4};
    for (unsigned k = 0; k < 3; k++) {
        unsigned n = counts[k];
        CHECK_EQ(vn_dev_sriov(dev, n), n);
        CHECK_EQ(vn_dev_cfg_read(dev, sr + SR_NUMVFS, 2), n);
        CHECK((vn_dev_cfg_read(dev, sr + SR_CTRL, 2) & 9) == 9);
        CHECK_EQ(vn_dev_sriov(dev, 1), -E_BUSY);
        CHECK_EQ(vn_dev_vf(dev, n), -E_INVAL);
        capref_t vf[4];
        uint64_t size = 0;
        for (unsigned i = 0; i < n; i++) {
            long c = vn_dev_vf(dev, i);
            CHECK(c > 0);
            vf[i] = (capref_t)c;
            struct vn_devinfo di;
            if (c > 0 && vn_dev_info(vf[i], &di) == 0)
                size = di.bar[0].size;
            check_vf(vf[i], &pf, i, rid0, stride, vf0, size);
        }
        /* VF 0 held, with a page in its domain; the last (if another) given to a child. */
        long page = vn_page_alloc(CAP_SELF, 0, 1);
        CHECK_EQ(vn_dev_cfg_write(vf[0], 4, 2, VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF), 0);
        CHECK_EQ(vn_dma_map(vf[0], (capref_t)page, 0x100000, VN_DMA_READ | VN_DMA_WRITE), 1);
        if (n > 1) {
            capref_t ch = vn_spawn_share("sriov_setup", 256, 1, 0, vf[n - 1], CR_ALL);
            CHECK(ch > 0);
            CHECK_EQ(vn_wait(ch), 0);
        }
        CHECK_EQ(vn_dev_sriov(dev, 0), 0);
        for (unsigned i = 0; i < n; i++)
            CHECK_EQ(vn_dev_info(vf[i], &(struct vn_devinfo){0}), -E_BADCAP);
        CHECK_EQ(vn_dev_cfg_read(dev, sr + SR_NUMVFS, 2), 0);
        CHECK_EQ(vn_dev_cfg_read(dev, sr + SR_CTRL, 2) & 9, 0);
        vn_cap_delete((capref_t)page);
        printf("sriov_setup: %u VF%s enabled, checked, disabled: every VF capability revoked\n", n,
               n == 1 ? "" : "s");
    }
    /* The PF's reset takes its VFs with it. */
    CHECK_EQ(vn_dev_sriov(dev, 2), 2);
    long v = vn_dev_vf(dev, 1);
    CHECK(v > 0);
    CHECK_EQ(vn_dev_reset(dev), 0);
    CHECK_EQ(vn_dev_info((capref_t)v, &(struct vn_devinfo){0}), -E_BADCAP);
    CHECK_EQ(vn_dev_cfg_read(dev, sr + SR_NUMVFS, 2), 0);
    CHECK_EQ(vn_dev_vf(dev, 0), -E_INVAL);
    printf("sriov_setup: the PF's reset disabled its VFs and revoked their capabilities\n");
    /* Another device has no SR-IOV to enable. */
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++)
        if ((capref_t)(VN_CAP_DEV_FIRST + i) != dev)
            CHECK_EQ(vn_dev_sriov((capref_t)(VN_CAP_DEV_FIRST + i), 1), -E_INVAL);
    return check_done("sriov_setup");
}
