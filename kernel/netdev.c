/*
 * The table of NICs the kernel's drivers registered at probe (netdev.h),
 * filled at boot under the kernel lock and never shrunk.
 */
#include "netdev.h"

static struct {
    unsigned n;
    struct netdev *dev[NETDEV_MAX];
} netdevs;                          /* kernel lock */

int netdev_register(struct netdev *nd)
{
    if (netdevs.n == NETDEV_MAX)
        return -E_NOSPC;
    netdevs.dev[netdevs.n++] = nd;
    return 0;
}

struct netdev *netdev_find(unsigned i)
{
    return i < netdevs.n ? netdevs.dev[i] : NULL;
}
