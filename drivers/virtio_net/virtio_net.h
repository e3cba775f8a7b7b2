/* The virtio-net driver (modern virtio 1.x over PCI, 1af4:1041): see virtio_net.c. */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include "drv.h"

/* For the home's table of drivers: probe registers a netdev (netdev.h). */
extern const struct drv_driver virtio_net_driver;

#endif
