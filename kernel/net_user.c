/*
 * net=user at boot: the NIC is left to user space (drivers/home_kernel.c
 * skips virtio_net), and the kernel starts the driver environment
 * user/netmux.c as a child of the first boot environment (so it ends
 * with it), holding the NIC's device capability, which the first
 * environment got with every other device.  Every boot environment then
 * finds, in vn_envinfo.net_cap where a CAP_NET would be, an endpoint to
 * netmux (through its supervisor user/netsup.c when the archive has it:
 * then netsup gets the archive in slot 1, to spawn netmux from, and
 * restarts it when it dies) whose badge names it (<veneer/netmux.h>: 1 for the first, with
 * CR_CONTROL, then 2, 3, ... in boot order).  Mechanism only: which
 * program serves the NIC is the boot archive's.
 */
#include <veneer/netmux.h>
#include "boot_archive.h"
#include "boot_info.h"
#include "console.h"
#include "device.h"
#include "env.h"
#include "klib.h"
#include "net.h"
#include "panic.h"

#define NET_USER_QUOTA 4608         /* pages for netsup and its netmux (2048), from the first
                                       environment's */

static struct {
    struct cap *ep;                 /* netmux's unbadged endpoint, in its own table */
    uint64_t badges;                /* handed out so far */
} nu;

bool net_user_wanted(void)
{
    char v[8];
    return cmdline_get("net", v, sizeof(v)) && strcmp(v, "user") == 0;
}

/* Give e (netsup) the archive in slot 1, to spawn netmux from.  Errors:
 * cap_lookup's, cap_derive's. */
static int grant_archive(struct env *first, struct env *e)
{
    struct cap *archive;
    capref_t ref;
    int r = cap_lookup(&first->caps, VN_CAP_ARCHIVE, CAP_PAGE, 0, &archive);
    if (r == 0)
        r = cap_derive(archive, &e->caps, CR_READ | CR_MAP | CR_GRANT, &ref);   /* derived: no page references */
    return r;
}

void net_user_boot(struct env *first, unsigned ndevices)
{
    size_t size;
    bool sup = boot_archive_find("netsup", &size) != NULL;
    const char *name = sup ? "netsup" : "netmux";
    const void *image = boot_archive_find(name, &size);
    struct cap *dev = NULL, *ep;
    struct env *e;
    capref_t ref, devref, root;
    for (unsigned i = 0; i < ndevices && !dev; i++)
        if (cap_lookup(&first->caps, (capref_t)(VN_CAP_DEV_FIRST + i), CAP_DEVICE, 0, &dev) < 0 ||
            device_of(dev)->f->class != 2)
            dev = NULL;                 /* 2: a network controller */
    if (!image || !dev) {
        kprintf("net: net=user, but %s\n", image ? "no NIC" : "no netmux in the boot archive");
        return;
    }
    if (env_create(first, NULL, NET_USER_QUOTA, name, &e, &ref) < 0 || (sup && grant_archive(first, e) < 0) ||
        cap_derive(dev, &e->caps, CR_ALL, &devref) < 0 ||
        cap_create_root(&e->caps, CAP_ENDPOINT, CR_ALL, (uint64_t)e->id, 0, &root) < 0 ||
        cap_lookup(&e->caps, root, CAP_ENDPOINT, 0, &ep) < 0 || env_load_elf(e, image, size) < 0)
        panic("boot: cannot start %s (net=user)", name);
    arch_context_set_args(&e->tf, 0, (uint64_t)devref);
    nu.ep = ep;
    kprintf("net: net=user: the NIC is %s's (env %x), clients by badged endpoints\n", name, e->id);
}

int net_user_grant(struct env *e, bool first)
{
    capref_t ref;
    struct cap *b;
    if (!nu.ep || nu.badges == NETMUX_CLIENTS_MAX)
        return -1;
    unsigned rights = CR_READ | CR_WRITE | CR_GRANT | (first ? CR_CONTROL : 0);
    if (cap_derive(nu.ep, &e->caps, rights, &ref) < 0)
        panic("boot: cannot give a netmux endpoint to a boot environment");
    cap_lookup(&e->caps, ref, CAP_ENDPOINT, 0, &b);
    b->count = ++nu.badges;
    return ref;
}
