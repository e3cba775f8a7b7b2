/*
 * The SR-IOV manager: a privileged environment that holds an NVMe PF
 * (left to user space with drv_skip) and decides how its virtual
 * functions are used; the kernel only enables them (dev_sriov) and hands
 * out a device capability per VF (dev_vf).
 *
 *   1. attach the PF with drivers/nvme (the user home): its admin queue;
 *   2. Identify 0x14 (primary controller capabilities) and 0x15
 *      (secondary controller list): each VF's controller id;
 *   3. dev_sriov(pf, NVF);
 *   4. per VF: Virtualization Management ACT 8 (VI_PER_VF interrupts,
 *      VQ_PER_VF queues: admin + 1 I/O), ACT 9 (online); Namespace
 *      Attachment of private namespace vf + 1 to its controller; QEMU
 *      attaches every shared namespace to every VF, so each is detached
 *      from it, and the VF is refused (not handed out) if Identify 0x12
 *      still shows one attached to it;
 *   5. dev_vf, and a child (user/vfapp.c) per VF with that capability:
 *      they write their namespaces at the same time;
 *   6. when a child ends, the VF is taken offline (ACT 7); at the end
 *      dev_sriov(pf, 0) revokes every VF capability, and the PF detaches.
 *
 * arg0: KiB each child writes (0: vfapp's default).  arg1 = 1, the
 * hostile run: VF 2's vfapp writes 4 MiB while VF 1's attacks first (see
 * vfapp.c) and is killed in the middle of its write; the manager takes
 * controller 1 offline, brings it back (ACT 8, 9) and hands VF 1 to a new
 * vfapp, which writes and checks 2 MiB; VF 2's must finish untouched.
 * arg1 = 2, the ext4 run (make run-vf, tests/qemu/sriov_ext4.t): the
 * children are user/vfext4.c instead, each a libOS with its own ext4 on
 * its VF's namespace (lib/fs/blkdev_vf.c), writing at the same time.
 * arg1 = 3, the POSIX run (tests/qemu/sriov_posix.t): each child is a
 * POSIX instance (init=posix's program, its run= from the command line)
 * whose fsd mounts ext4 on the VF it drives itself.  arg1 = 4 (make
 * run-vf): a POSIX instance on VF 1 and an ext4 libOS on VF 2.
 * arg1 = 5, the vf suite of make bench (bench/vf/): user/vfbench.c on
 * both VFs, the leader (timed) on VF 1 and its background client on VF
 * 2, sharing a control page and a notification word; arg0 is then 1 for
 * bench-smoke's quick counts.
 */
#include <libveneer.h>
#include <vn.h>
#include "blkdev.h"
#include "home_user.h"
#include "nvme/nvme.h"
#include "../bench/vf/vfb.h"

int main(uint64_t kib, uint64_t arg1);

#define NVF       2
#define VI_PER_VF 1                 /* a VF's MSI-X table has one entry in QEMU 7.2 */
#define VQ_PER_VF 2
#define CHILD_QUOTA 2048
#define EXT4_QUOTA  6144            /* vfext4: lib/fs's cache and libext2fs's tables */
#define POSIX_QUOTA 65536           /* a POSIX instance: its arena, processes and fsd */

static const struct drv_driver *const drivers[] = {&nvme_driver};
static int failures;

#define EXPECT(cond, ...) \
    do { if (!(cond)) { printf("vfmgr: FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static struct nvme_ctrl *pf;
static struct drv_dma page;         /* Identify data and controller lists */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int admin(uint8_t op, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, uint32_t *dw0)
{
    struct nvme_sqe c = {.opcode = op, .nsid = nsid, .prp1 = page.iova, .cdw10 = cdw10, .cdw11 = cdw11};
    return nvme_admin_cmd(pf, &c, dw0);
}

static int virt_mgmt(unsigned act, unsigned rt, uint16_t cntlid, uint32_t nr)
{
    return admin(NVME_ADM_VIRT_MGMT, 0, act | rt << 8 | (uint32_t)cntlid << 16, nr, NULL);
}

/* Attach (sel 0) or detach (sel 1) namespace nsid to/from controller cntlid. */
static int ns_attach(uint32_t nsid, uint16_t cntlid, unsigned sel)
{
    memset(page.va, 0, DRV_PAGE);
    ((uint16_t *)page.va)[0] = 1;
    ((uint16_t *)page.va)[1] = cntlid;
    return admin(NVME_ADM_NS_ATTACH, nsid, sel, 0, NULL);
}

/* Whether namespace nsid is attached to controller cntlid (Identify 0x12). */
static bool ns_attached(uint32_t nsid, uint16_t cntlid)
{
    if (admin(NVME_ADM_IDENTIFY, nsid, NVME_CNS_NS_CTRLS, 0, NULL) < 0)
        return true;                /* cannot tell: refuse */
    const uint16_t *l = page.va;
    for (unsigned i = 1; i <= l[0] && i < 2048; i++)
        if (l[i] == cntlid)
            return true;
    return false;
}

/* Make VF cntlid usable by one libOS: resources, online, its private
 * namespace, every shared one off.  Errors: the admin commands', -E_PERM
 * (a shared namespace stays attached: refused). */
static int vf_prepare(uint16_t cntlid, uint32_t private_ns, const struct blkdev *bd)
{
    int r;
    if ((r = virt_mgmt(NVME_VM_ASSIGN, NVME_VM_RT_VI, cntlid, VI_PER_VF)) < 0 ||
        (r = virt_mgmt(NVME_VM_ASSIGN, NVME_VM_RT_VQ, cntlid, VQ_PER_VF)) < 0 ||
        (r = virt_mgmt(NVME_VM_ONLINE, NVME_VM_RT_VQ, cntlid, 0)) < 0 ||
        (!ns_attached(private_ns, cntlid) && (r = ns_attach(private_ns, cntlid, 0)) < 0))
        return r;
    for (unsigned i = 0; i < bd->nns; i++) {     /* the PF's namespaces are the shared ones */
        ns_attach(bd->ns[i].nsid, cntlid, 1);
        if (ns_attached(bd->ns[i].nsid, cntlid)) {
            printf("vfmgr: shared namespace %u still attached to controller %u: VF refused\n", bd->ns[i].nsid,
                   cntlid);
            return -E_PERM;
        }
    }
    printf("vfmgr: controller %u: %u interrupts, %u queues, online, namespace %u attached, %u shared detached\n",
           cntlid, VI_PER_VF, VQ_PER_VF, private_ns, bd->nns);
    return 0;
}

#define VFAPP_HOSTILE 0x100

static void sleep_ms(uint64_t ms)
{
    static capref_t word;
    if (!word)
        word = (capref_t)vn_notify_create();
    vn_notify_wait(word, ms * 1000000);
}

/* The hostile run (arg1 = 1) on VFs prepared already. */
static void hostile_run(capref_t dev, const uint16_t *cntlid, const struct blkdev *bd)
{
    long vf1 = vn_dev_vf(dev, 0), vf2 = vn_dev_vf(dev, 1);
    capref_t good = vn_spawn_share("vfapp", CHILD_QUOTA, 2, 4096, (capref_t)vf2, CR_ALL);
    capref_t bad = vn_spawn_share("vfapp", CHILD_QUOTA, 1 | VFAPP_HOSTILE, 4096, (capref_t)vf1, CR_ALL);
    EXPECT(good > 0 && bad > 0, "spawn");
    struct vn_devinfo di;
    for (unsigned i = 0; i < 400 && vn_dev_info((capref_t)vf1, &di) == 0 && !(di.flags & VN_DEVF_HELD); i++)
        sleep_ms(5);
    sleep_ms(400);                  /* its attacks done, its write under way */
    vn_kill(bad);
    vn_dev_info((capref_t)vf1, &di);
    EXPECT(!(di.flags & VN_DEVF_HELD) && di.dma_pages == 0, "VF 1 after its libOS died: held %u, %lu pages",
           di.flags & VN_DEVF_HELD, di.dma_pages);
    int r = virt_mgmt(NVME_VM_OFFLINE, NVME_VM_RT_VQ, cntlid[0], 0);
    EXPECT(r == 0, "offline: %d", r);
    printf("vfmgr: VF 1's libOS killed mid-write: the kernel reset the VF, controller %u offline\n", cntlid[0]);
    r = vf_prepare(cntlid[0], 2, bd);
    EXPECT(r == 0, "VF 1 again: %d", r);
    capref_t again = vn_spawn_share("vfapp", CHILD_QUOTA, 1, 2048, (capref_t)vf1, CR_ALL);
    int st = vn_wait(again);
    EXPECT(st == 0, "the new vfapp 1: %d", st);
    printf("vfmgr: VF 1 handed to a new libOS: status %d\n", st);
    st = vn_wait(good);
    EXPECT(st == 0, "vfapp 2 (the one left alone): %d", st);
    printf("vfmgr: vfapp 2 kept going: status %d\n", st);
    vn_cap_delete((capref_t)vf1);
    vn_cap_delete((capref_t)vf2);
}

/* A vfbench client with role (bench/vf/vfb.h) on VF i, sharing the
 * control page ctl and the word w; its env capability or an error. */
static capref_t vfb_spawn(capref_t dev, unsigned i, uint64_t role, volatile struct vfb_ctl *ctl, capref_t w)
{
    long vf = vn_dev_vf(dev, i);
    if (vf < 0)
        return (capref_t)vf;
    capref_t env = vn_spawn_share_stopped("vfbench", CHILD_QUOTA, role, 0, vn_page_cap((uint64_t)ctl),
                                          CR_READ | CR_WRITE | CR_MAP, 0);
    long r = env < 0 ? env : vn_cap_grant((capref_t)vf, env, CR_ALL);
    long g = r < 0 ? r : vn_cap_grant(w, env, CR_READ | CR_WRITE);
    if (g >= 0) {
        ctl->wake_cap[role == VFB_BACKGROUND ? 0 : 1] = (uint64_t)g;
        g = vn_env_start(env);
    }
    vn_cap_delete((capref_t)vf);
    if (g < 0 && env >= 0)
        vn_cap_delete(env);
    return g < 0 ? (capref_t)g : env;
}

/* The bench run (arg1 = 5) on VFs prepared already. */
static void bench_run(capref_t dev, uint64_t quick)
{
    volatile struct vfb_ctl *ctl = vn_alloc_pages(1);
    long w = vn_notify_create();
    EXPECT(ctl && w >= 0, "bench: control page, word");
    if (!ctl || w < 0)
        return;
    capref_t bg = vfb_spawn(dev, 1, VFB_BACKGROUND, ctl, (capref_t)w);
    capref_t lead = bg < 0 ? bg : vfb_spawn(dev, 0, VFB_LEADER | (quick ? VFB_QUICK : 0), ctl, (capref_t)w);
    EXPECT(bg > 0 && lead > 0, "vfbench: %s %s", vn_strerror(bg), vn_strerror(lead));
    int st = lead > 0 ? vn_wait(lead) : -1;
    EXPECT(st == 0, "vfbench leader: status %d", st);
    if (bg > 0 && lead <= 0)
        vn_kill(bg);
    else if (bg > 0)
        EXPECT((st = vn_wait(bg)) == 0, "vfbench background: status %d", st);
    vn_cap_delete((capref_t)w);
}

/* A POSIX init on VF capability vf: the boot archive in its slot 1, as
 * every instance has it, and the VF granted beside it (lib/posix/disk.c
 * looks for a VF among its capabilities).  Its env capability, or the
 * error of the spawn, grant or start. */
static capref_t posix_spawn_vf(capref_t vf)
{
    capref_t env = vn_spawn_share_stopped("posix", POSIX_QUOTA, 0, 0, VN_CAP_ARCHIVE, CR_READ | CR_MAP | CR_GRANT,
                                          VN_SPAWN_MAP_TEXT);
    long r = env < 0 ? env : vn_cap_grant(vf, env, CR_ALL);
    if (r >= 0)
        r = vn_env_start(env);
    if (r < 0 && env >= 0)
        vn_cap_delete(env);
    return r < 0 ? (capref_t)r : env;
}

int main(uint64_t kib, uint64_t arg1)
{
    /* Per VF: the raw writer, an ext4 libOS, a POSIX instance, or (arg1 =
     * 4, make run-vf) a POSIX instance on VF 1 and an ext4 libOS on VF 2. */
    const char *progs[NVF];
    for (unsigned i = 0; i < NVF; i++)
        progs[i] = arg1 == 3 || (arg1 == 4 && i == 0) ? "posix" : arg1 == 2 || arg1 == 4 ? "vfext4" : "vfapp";
    capref_t dev = uhome_find(0x1b36, 0x0010, 0);
    struct drv_dev *d;
    int r = dev < 0 ? (int)dev : uhome_init();
    if (r == 0)
        r = uhome_attach(dev, drivers, 1, &d);
    EXPECT(r == 0, "the PF: %s", vn_strerror(r));
    if (r < 0)
        return 1;
    struct blkdev *bd = blkdev_find(0);
    pf = nvme_ctrl_of(bd);
    if ((r = drv_dma_alloc(d, DRV_PAGE, &page)) < 0)
        return 1;
    const uint8_t *id = page.va;
    r = admin(NVME_ADM_IDENTIFY, 0, NVME_CNS_PRI_CAPS, 0, NULL);
    EXPECT(r == 0, "identify 0x14: %d", r);
    printf("vfmgr: primary controller %u: %u flexible queues (%u per VF at most), %u flexible interrupts (%u per "
           "VF)\n", le16(id), le16(id + 32), le16(id + 44), le16(id + 64), le16(id + 76));
    r = admin(NVME_ADM_IDENTIFY, 0, NVME_CNS_SEC_LIST, 0, NULL);
    EXPECT(r == 0 && id[0] >= NVF, "identify 0x15: %d, %u secondaries", r, id[0]);
    uint16_t cntlid[NVF];
    for (unsigned i = 0; i < NVF; i++) {
        const uint8_t *e = id + 32 + 32 * i;
        cntlid[i] = le16(e);
        EXPECT(le16(e + 8) == i + 1 && e[4] == 0, "secondary %u: vf %u, state %u", cntlid[i], le16(e + 8), e[4]);
    }
    long n = vn_dev_sriov(dev, NVF);
    EXPECT(n == NVF, "dev_sriov: %s", vn_strerror(n));
    if (n != NVF)
        return 1;
    capref_t child[NVF];
    bool ready[NVF];
    for (unsigned i = 0; i < NVF; i++) {
        child[i] = -1;
        ready[i] = (r = vf_prepare(cntlid[i], i + 2, bd)) == 0;
        EXPECT(ready[i], "VF %u: %d (status %#x)", i + 1, r, nvme_admin_status(pf));
    }
    if (arg1 == 1 && ready[0] && ready[1]) {
        hostile_run(dev, cntlid, bd);
        for (unsigned i = 0; i < NVF; i++)
            virt_mgmt(NVME_VM_OFFLINE, NVME_VM_RT_VQ, cntlid[i], 0);
    }
    if (arg1 == 5 && ready[0] && ready[1]) {
        bench_run(dev, kib);
        for (unsigned i = 0; i < NVF; i++)
            virt_mgmt(NVME_VM_OFFLINE, NVME_VM_RT_VQ, cntlid[i], 0);
    }
    for (unsigned i = 0; i < NVF && arg1 != 1 && arg1 != 5; i++) {
        if (!ready[i])
            continue;
        long vf = vn_dev_vf(dev, i);
        EXPECT(vf > 0, "dev_vf %u: %s", i, vn_strerror(vf));
        bool ext4 = strcmp(progs[i], "vfext4") == 0;
        if (vf > 0)
            child[i] = strcmp(progs[i], "posix") == 0
                           ? posix_spawn_vf((capref_t)vf)
                           : vn_spawn_share(progs[i], ext4 ? EXT4_QUOTA : CHILD_QUOTA, i + 1, kib, (capref_t)vf,
                                            CR_ALL);
        EXPECT(child[i] > 0, "spawn: %s", vn_strerror(child[i]));
        vn_cap_delete((capref_t)vf);    /* the child's copy is derived from it: kept */
    }
    for (unsigned i = 0; i < NVF; i++) {
        if (child[i] <= 0)
            continue;
        int st = vn_wait(child[i]);
        EXPECT(st == 0, "%s %u: status %d", progs[i], i + 1, st);
        r = virt_mgmt(NVME_VM_OFFLINE, NVME_VM_RT_VQ, cntlid[i], 0);
        EXPECT(r == 0, "offline %u: %d", cntlid[i], r);
        printf("vfmgr: %s %u ended (status %d), controller %u offline\n", progs[i], i + 1, st, cntlid[i]);
    }
    EXPECT(vn_dev_sriov(dev, 0) == 0, "disable");
    drv_dma_free(d, &page);
    uhome_detach(d);
    printf(failures ? "vfmgr: %d checks FAILED\n" : "vfmgr: all checks passed\n", failures);
    return failures != 0;
}
