/*
 * The table of NICs the drivers of one home registered at probe
 * (netdev.h), filled as they probe and never shrunk: compiled into the
 * kernel (guarded by the kernel lock) and into each program with a
 * user-level home (guarded by its one thread).
 */
#include "netdev.h"

static struct {
    unsigned n;
    struct netdev *dev[NETDEV_MAX];
} netdevs;                          /* the home's serialisation */

int netdev_register(struct netdev *nd)
{
    if (netdevs.n == NETDEV_MAX)
        return -E_NOSPC;
    netdevs.dev[netdevs.n++] = nd;
    return 0;
}

struct netdev *netdev_find(unsigned i) { return i < netdevs.n ? netdevs.dev[i] : NULL; }
