/*
 * virtio-net, modern virtio 1.x over PCI (1af4:1041: QEMU's virtio-net-pci
 * with disable-legacy=on), written against drivers/drv.h alone, with the
 * kernel's netdev.h above it, so that it can move to a user-level home.
 * The vendor capabilities (PCI capability 9) say where in the BARs the
 * common configuration, the notification area and the device
 * configuration (MAC, link status) are; interrupts are MSI-X only (RX
 * queue: vector 0, TX: 1, configuration changes: none), so the ISR is
 * never read.
 *
 *   probe: reset, ACKNOWLEDGE|DRIVER, features, FEATURES_OK, MAC; reset
 *   up:    the same to FEATURES_OK, queues RX 0 and TX 1 (split rings),
 *          vectors, bus mastering, DRIVER_OK, every RX buffer posted
 *
 * Features: VERSION_1 and MAC are required, STATUS and ACCESS_PLATFORM
 * taken when offered (the latter is required then: every address the
 * device sees is an IOVA, translated by the IOMMU), nothing else.  No
 * checksum or segmentation offloads and no merged receive buffers, so a
 * frame is one buffer led by the 12-byte virtio_net_hdr (zero on TX).
 *
 * Buffers are BUF bytes, carved from DMA allocations of DRV_DMA_MAX_PAGES;
 * descriptor i of a queue always names its buffer i, one per frame.  RX:
 * all posted, each reposted once its frame went up.  TX: a stack of free
 * descriptors, reclaimed from the used ring by netdev_tx and the TX
 * interrupt.
 *
 * The device is not trusted with the driver's state: a used index moving
 * past what was posted, a descriptor id out of range or not in flight, a
 * length beyond the buffer: logged once, the device reset and cut off
 * (drv_quiesce), the netdev stopped for good.  The home serialises every
 * entry (probe, up, tx, the interrupt callbacks), which guards vnets.
 */
#include <veneer/errors.h>
#include "drv.h"
#include "netdev.h"
#include "virtio_net.h"

#define PCI_CAPS       0x34
#define PCI_CAP_VENDOR 0x09
#define PCI_CAPS_WALK  48           /* entries walked (lists can be cyclic) */
#define VCAP_TYPE      3            /* vendor capability: cfg_type, bar, offset, length */
#define VCAP_BAR       4
#define VCAP_OFF       8
#define VCAP_LEN       12
#define VCAP_MULT      16           /* notify: notify_off_multiplier */
#define VCAP_COMMON    1
#define VCAP_NOTIFY    2
#define VCAP_DEVICE    4

#define ST_ACK         0x01         /* device_status */
#define ST_DRIVER      0x02
#define ST_DRIVER_OK   0x04
#define ST_FEATURES_OK 0x08
#define ST_NEEDS_RESET 0x40

#define F_MAC             (1ul << 5)
#define F_STATUS          (1ul << 16)
#define F_VERSION_1       (1ul << 32)
#define F_ACCESS_PLATFORM (1ul << 33)
#define NET_LINK_UP    1            /* device configuration: mac[6] at 0, status at 6 */

#define NO_VECTOR      0xffff
#define DESC_WRITE     2
#define USED_NO_NOTIFY 1
#define QSIZE_MAX      128          /* the rings of one queue fit a page */
#define BUF            2048         /* header and the largest frame */
#define HDR            12           /* virtio_net_hdr, with num_buffers (VERSION_1) */
#define BUFS_PER_CHUNK (DRV_DMA_MAX_PAGES * DRV_PAGE / BUF)
#define VNET_MAX       4

struct virtio_common {              /* the common configuration, in a BAR */
    uint32_t dev_feature_sel, dev_feature;
    uint32_t drv_feature_sel, drv_feature;
    uint16_t config_msix, num_queues;
    uint8_t status, config_gen;
    uint16_t queue_sel, queue_size, queue_msix, queue_enable, queue_notify_off;
    uint32_t queue_desc[2], queue_driver[2], queue_device[2];  /* low, high halves */
};
_Static_assert(sizeof(struct virtio_common) == 0x38, "virtio common configuration");

struct vq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct vq_avail {
    uint16_t flags, idx;
    uint16_t ring[];
};

struct vq_used {
    uint16_t flags, idx;
    struct {
        uint32_t id, len;
    } ring[];
};

struct vq {
    uint16_t index, size;
    volatile struct vq_desc *desc;  /* the three rings, in `ring` */
    volatile struct vq_avail *avail;
    volatile struct vq_used *used;
    volatile uint16_t *notify;
    uint16_t avail_idx;             /* avail->idx as last written */
    uint16_t used_idx;              /* the next used entry to read */
    struct drv_dma ring, chunk[QSIZE_MAX / BUFS_PER_CHUNK];
    uint16_t nfree, free[QSIZE_MAX];    /* TX: descriptors not in flight */
    bool busy[QSIZE_MAX];           /* TX: in flight */
};

struct vnet {
    struct drv_dev *dev;
    struct netdev nd;
    volatile struct virtio_common *common;
    volatile uint8_t *devcfg, *notify;
    uint32_t devcfg_len, notify_len, notify_mult;
    uint64_t features;              /* negotiated */
    bool broken;
    struct vq rx, tx;
};

static struct {
    unsigned n;
    struct vnet v[VNET_MAX];
} vnets;

static struct vnet *vnet_of(struct netdev *nd)
{
    return (struct vnet *)((char *)nd - offsetof(struct vnet, nd));
}

/* The structure of the first usable vendor capability of cfg_type type
 * (its BAR mapped, offset and length inside it), its length in *len and
 * the capability's config offset in *at; NULL if none. */
static volatile uint8_t *vnet_cap(struct drv_dev *d, unsigned type, uint32_t *len, unsigned *at)
{
    unsigned ptr = drv_cfg_read(d, PCI_CAPS, 1) & 0xfc;
    for (unsigned n = 0; ptr >= 0x40 && n < PCI_CAPS_WALK; n++, ptr = drv_cfg_read(d, ptr + 1, 1) & 0xfc) {
        if (drv_cfg_read(d, ptr, 1) != PCI_CAP_VENDOR || drv_cfg_read(d, ptr + VCAP_TYPE, 1) != type ||
            drv_cfg_read(d, ptr + 2, 1) < (type == VCAP_NOTIFY ? 20u : 16u))
            continue;
        unsigned bar = drv_cfg_read(d, ptr + VCAP_BAR, 1);
        uint32_t off = drv_cfg_read(d, ptr + VCAP_OFF, 4), l = drv_cfg_read(d, ptr + VCAP_LEN, 4);
        volatile void *regs;
        uint64_t size;
        if (bar > 5 || drv_bar_map(d, bar, &regs, &size) < 0 || off > size || l > size - off)
            continue;               /* one the driver cannot use: the next may do */
        *len = l;
        *at = ptr;
        return (volatile uint8_t *)regs + off;
    }
    return NULL;
}

/* Reset the device; false if it never reads back reset. */
static bool vnet_reset(struct vnet *vn)
{
    vn->common->status = 0;
    for (unsigned i = 0; i < 1000000; i++)
        if (vn->common->status == 0)
            return true;
    return false;
}

/* Give up on a device that broke the rings' rules: log it once, reset it
 * and cut it off; the netdev stops.  Returns -1. */
static int vnet_broken(struct vnet *vn, const char *why)
{
    if (!vn->broken) {
        drv_log(vn->dev, "device misbehaves (%s): stopped", why);
        vn->broken = true;
        vn->nd.running = false;
        vn->common->status = 0;
        drv_quiesce(vn->dev);
    }
    return -1;
}

/* Reset the device and agree on the features, up to FEATURES_OK.
 * Errors: -E_NODEV (no reset, a feature missing, FEATURES_OK refused). */
static int vnet_negotiate(struct vnet *vn)
{
    volatile struct virtio_common *c = vn->common;
    if (!vnet_reset(vn))
        return -E_NODEV;
    c->status = ST_ACK;
    c->status = ST_ACK | ST_DRIVER;
    c->dev_feature_sel = 0;
    uint64_t have = c->dev_feature;
    c->dev_feature_sel = 1;
    have |= (uint64_t)c->dev_feature << 32;
    if (!(have & F_VERSION_1) || !(have & F_MAC)) {
        drv_log(vn->dev, "features 0x%lx: no VERSION_1 or no MAC", have);
        vnet_reset(vn);
        return -E_NODEV;
    }
    vn->features = F_VERSION_1 | F_MAC | (have & (F_STATUS | F_ACCESS_PLATFORM));
    c->drv_feature_sel = 0;
    c->drv_feature = (uint32_t)vn->features;
    c->drv_feature_sel = 1;
    c->drv_feature = (uint32_t)(vn->features >> 32);
    c->status = ST_ACK | ST_DRIVER | ST_FEATURES_OK;
    if (!(c->status & ST_FEATURES_OK)) {
        drv_log(vn->dev, "features 0x%lx refused", vn->features);
        vnet_reset(vn);
        return -E_NODEV;
    }
    return 0;
}

static void vnet_link(struct vnet *vn)
{
    vn->nd.link_up = !(vn->features & F_STATUS) || vn->devcfg_len < 8 ||
                     (*(volatile uint16_t *)(vn->devcfg + 6) & NET_LINK_UP);
}

static uint8_t *vq_buf(struct vq *q, unsigned i)
{
    return (uint8_t *)q->chunk[i / BUFS_PER_CHUNK].va + i % BUFS_PER_CHUNK * BUF;
}

/* Make descriptor id available to the device (it is told by vq_kick). */
static void vq_post(struct vq *q, uint16_t id)
{
    q->avail->ring[q->avail_idx % q->size] = id;
    drv_barrier();
    q->avail->idx = ++q->avail_idx;
}

static void vq_kick(struct vq *q)
{
    drv_barrier();
    if (!(q->used->flags & USED_NO_NOTIFY))
        *q->notify = q->index;
}

/* Take q's next used entry, checked: 1 with its descriptor *id and
 * written length *len, 0 if there is none, -1 if the device broke the
 * ring (and is stopped). */
static int vq_used(struct vnet *vn, struct vq *q, uint16_t *id, uint32_t *len)
{
    uint16_t idx = q->used->idx;
    if ((uint16_t)(idx - q->used_idx) > (uint16_t)(q->avail_idx - q->used_idx))
        return vnet_broken(vn, "used index past what was posted");
    if (idx == q->used_idx)
        return 0;
    drv_barrier();
    uint32_t i = q->used->ring[q->used_idx % q->size].id;
    *len = q->used->ring[q->used_idx % q->size].len;
    if (i >= q->size)
        return vnet_broken(vn, "descriptor id out of range");
    q->used_idx++;
    *id = (uint16_t)i;
    return 1;
}

/* Set up queue `index` in q: rings and buffers (DMA memory), MSI-X vector
 * `index` bound to fn, enabled.  Errors: -E_NODEV (no such queue, the
 * vector or notification refused), drv_dma_alloc's and drv_irq_bind's. */
static int vq_setup(struct vnet *vn, struct vq *q, uint16_t index, void (*fn)(void *ctx))
{
    volatile struct virtio_common *c = vn->common;
    c->queue_sel = index;
    uint16_t max = c->queue_size, size = QSIZE_MAX;
    if (max == 0)
        return -E_NODEV;
    while (size > max)
        size /= 2;
    *q = (struct vq){.index = index, .size = size};
    int r = drv_dma_alloc(vn->dev, DRV_PAGE, &q->ring);
    for (unsigned k = 0; r == 0 && k * BUFS_PER_CHUNK < size; k++) {
        unsigned n = size - k * BUFS_PER_CHUNK;
        r = drv_dma_alloc(vn->dev, (size_t)(n < BUFS_PER_CHUNK ? n : BUFS_PER_CHUNK) * BUF, &q->chunk[k]);
    }
    if (r < 0)
        return r;
    uint8_t *ring = q->ring.va;
    unsigned avail_end = 16u * size + 6 + 2u * size;
    q->desc = (volatile struct vq_desc *)ring;
    q->avail = (volatile struct vq_avail *)(ring + 16u * size);
    q->used = (volatile struct vq_used *)(ring + (avail_end + 3) / 4 * 4);
    uint64_t ring_iova = q->ring.iova;
    for (unsigned i = 0; i < size; i++) {
        q->desc[i].addr = q->chunk[i / BUFS_PER_CHUNK].iova + i % BUFS_PER_CHUNK * BUF;
        q->desc[i].len = BUF;
        q->desc[i].flags = q == &vn->rx ? DESC_WRITE : 0;
    }
    uint64_t addr[3] = {ring_iova, ring_iova + ((uint8_t *)q->avail - ring), ring_iova + ((uint8_t *)q->used - ring)};
    c->queue_size = size;
    c->queue_desc[0] = (uint32_t)addr[0];
    c->queue_desc[1] = (uint32_t)(addr[0] >> 32);
    c->queue_driver[0] = (uint32_t)addr[1];
    c->queue_driver[1] = (uint32_t)(addr[1] >> 32);
    c->queue_device[0] = (uint32_t)addr[2];
    c->queue_device[1] = (uint32_t)(addr[2] >> 32);
    if ((r = drv_irq_bind(vn->dev, index, fn, vn)) < 0)
        return r;
    c->queue_msix = index;
    uint64_t noff = (uint64_t)c->queue_notify_off * vn->notify_mult;
    if (c->queue_msix != index || vn->notify_len < 2 || noff > vn->notify_len - 2)
        return -E_NODEV;
    q->notify = (volatile uint16_t *)(vn->notify + noff);
    c->queue_enable = 1;
    return 0;
}

/* Reset the device, cut it off and free its queues' memory. */
static void vnet_stop(struct vnet *vn)
{
    vnet_reset(vn);
    drv_quiesce(vn->dev);
    struct vq *qs[2] = {&vn->rx, &vn->tx};
    for (unsigned k = 0; k < 2; k++) {
        if (qs[k]->ring.len)
            drv_dma_free(vn->dev, &qs[k]->ring);
        for (unsigned i = 0; i < QSIZE_MAX / BUFS_PER_CHUNK; i++)
            if (qs[k]->chunk[i].len)
                drv_dma_free(vn->dev, &qs[k]->chunk[i]);
    }
}

/* RX interrupt: every frame received goes up, its buffer is reposted. */
static void vnet_rx_intr(void *ctx)
{
    struct vnet *vn = ctx;
    struct vq *q = &vn->rx;
    uint16_t id;
    uint32_t len;
    int r;
    bool posted = false;
    if (vn->broken)
        return;
    while ((r = vq_used(vn, q, &id, &len)) > 0) {
        if (len < HDR || len > BUF) {
            vnet_broken(vn, "length beyond the buffer");
            return;
        }
        len -= HDR;
        if (len >= NETDEV_FRAME_MIN && len <= NETDEV_FRAME_MAX) {
            vn->nd.rx_frames++;
            vn->nd.rx(vn->nd.rx_ctx, vq_buf(q, id) + HDR, len);
        } else {
            vn->nd.rx_errors++;
        }
        vq_post(q, id);
        posted = true;
    }
    if (r < 0)
        return;
    if (posted)
        vq_kick(q);
    vnet_link(vn);
    drv_irq_ack(vn->dev, 0);
}

/* Free the TX descriptors the device completed.  Returns 0, or -1 if it
 * broke the ring (and is stopped). */
static int vnet_tx_reclaim(struct vnet *vn)
{
    struct vq *q = &vn->tx;
    uint16_t id;
    uint32_t len;
    int r;
    while ((r = vq_used(vn, q, &id, &len)) > 0) {
        if (!q->busy[id])
            return vnet_broken(vn, "descriptor completed twice");
        q->busy[id] = false;
        q->free[q->nfree++] = id;
        vn->nd.tx_done++;
    }
    return r;
}

static void vnet_tx_intr(void *ctx)
{
    struct vnet *vn = ctx;
    if (!vn->broken && vnet_tx_reclaim(vn) == 0) {
        vnet_link(vn);
        drv_irq_ack(vn->dev, 1);
    }
}

static int vnet_tx(struct netdev *nd, const void *frame, size_t len)
{
    struct vnet *vn = vnet_of(nd);
    struct vq *q = &vn->tx;
    if (!nd->running)
        return -E_NODEV;
    if (len < NETDEV_FRAME_MIN || len > NETDEV_FRAME_MAX)
        return -E_INVAL;
    if (vnet_tx_reclaim(vn) < 0)
        return -E_NODEV;
    if (!q->nfree)
        return -E_AGAIN;
    uint16_t id = q->free[--q->nfree];
    uint8_t *b = vq_buf(q, id);
    __builtin_memset(b, 0, HDR);
    __builtin_memcpy(b + HDR, frame, len);
    q->desc[id].len = (uint32_t)(HDR + len);
    q->busy[id] = true;
    vq_post(q, id);
    vq_kick(q);
    nd->tx_frames++;
    return 0;
}

static int vnet_up(struct netdev *nd)
{
    struct vnet *vn = vnet_of(nd);
    volatile struct virtio_common *c = vn->common;
    int r;
    if (vn->broken)
        return -E_NODEV;
    if ((r = vnet_negotiate(vn)) < 0 || (r = vq_setup(vn, &vn->rx, 0, vnet_rx_intr)) < 0 ||
        (r = vq_setup(vn, &vn->tx, 1, vnet_tx_intr)) < 0) {
        drv_log(vn->dev, "cannot come up (error %d)", r);
        vnet_stop(vn);
        return r == -E_NOMEM || r == -E_NOSPC ? r : -E_NODEV;
    }
    c->config_msix = NO_VECTOR;
    for (uint16_t i = 0; i < vn->tx.size; i++)
        vn->tx.free[vn->tx.nfree++] = (uint16_t)(vn->tx.size - 1 - i);
    for (uint16_t i = 0; i < vn->rx.size; i++)
        vq_post(&vn->rx, i);
    uint32_t cmd = drv_cfg_read(vn->dev, DRV_CFG_COMMAND, 2);
    drv_cfg_write(vn->dev, DRV_CFG_COMMAND, 2, cmd | DRV_CMD_MEM | DRV_CMD_MASTER);
    c->status = ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;
    if (c->status & ST_NEEDS_RESET) {
        drv_log(vn->dev, "device needs a reset right after DRIVER_OK");
        vnet_stop(vn);
        return -E_NODEV;
    }
    nd->running = true;
    vq_kick(&vn->rx);
    vnet_link(vn);
    drv_log(vn->dev, "up: rx and tx queues of %u and %u buffers, link %s", vn->rx.size, vn->tx.size,
            nd->link_up ? "up" : "down");
    return 0;
}

static const struct netdev_ops vnet_ops = {.up = vnet_up, .tx = vnet_tx};

/* Find the device's structures, check that it negotiates, read its MAC,
 * leave it reset and register its netdev.  Errors: -E_NODEV, -E_NOSPC. */
static int vnet_probe(struct drv_dev *d)
{
    if (vnets.n == VNET_MAX)
        return -E_NOSPC;
    struct vnet *vn = &vnets.v[vnets.n];
    uint32_t len = 0;
    unsigned at, notify_at = 0;
    *vn = (struct vnet){.dev = d};
    vn->common = (volatile struct virtio_common *)vnet_cap(d, VCAP_COMMON, &len, &at);
    vn->devcfg = vnet_cap(d, VCAP_DEVICE, &vn->devcfg_len, &at);
    vn->notify = vnet_cap(d, VCAP_NOTIFY, &vn->notify_len, &notify_at);
    if (!vn->common || len < sizeof(struct virtio_common) || !vn->devcfg || vn->devcfg_len < 6 || !vn->notify) {
        drv_log(d, "no usable common, device or notify configuration");
        return -E_NODEV;
    }
    vn->notify_mult = drv_cfg_read(d, notify_at + VCAP_MULT, 4);
    int r = vnet_negotiate(vn);
    if (r < 0)
        return r;
    uint8_t gen;
    unsigned tries = 0;
    do {
        gen = vn->common->config_gen;
        for (unsigned i = 0; i < 6; i++)
            vn->nd.mac[i] = vn->devcfg[i];
    } while (gen != vn->common->config_gen && ++tries < 100);
    vnet_link(vn);
    vnet_reset(vn);
    vn->nd.name = "virtio_net";
    vn->nd.ops = &vnet_ops;
    if ((r = netdev_register(&vn->nd)) < 0)
        return r;
    vnets.n++;
    const uint8_t *m = vn->nd.mac;
    drv_log(d, "mac %02x:%02x:%02x:%02x:%02x:%02x, features VERSION_1 MAC%s%s", m[0], m[1], m[2], m[3], m[4],
            m[5], vn->features & F_STATUS ? " STATUS" : "",
            vn->features & F_ACCESS_PLATFORM ? " ACCESS_PLATFORM" : "");
    return 0;
}

const struct drv_driver virtio_net_driver = {
    .name = "virtio_net",
    .vendor = 0x1af4,
    .device = 0x1041,
    .probe = vnet_probe,
};
