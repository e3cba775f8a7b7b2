/*
 * Host unit test of the virtio-net driver (drivers/virtio_net/) in a third
 * home: this file implements drivers/drv.h over plain memory, and plays
 * the device.  Its "BAR" is memory, so registers do not bank by selector:
 * both feature words read the same value (bits 0, 1, 5 and 16: CSUM,
 * GUEST_CSUM, MAC, STATUS, and in the high word VERSION_1 and
 * ACCESS_PLATFORM), queue_size reads 256 for both queues.  Checked: probe
 * refuses a device without VERSION_1; up programs the queues, and a
 * failed up gives every DMA page back; frames received go up and their
 * buffers are reposted; TX fills, refuses when full, and is reclaimed;
 * and a device breaking the rings (a length beyond the buffer, the used
 * index past what was posted, an id out of range, a buffer completed
 * twice) is logged once and stopped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <veneer/errors.h>
#include "drv.h"
#include "netdev.h"
#include "virtio_net/virtio_net.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

/* The common configuration's offsets (virtio 1.x, 4.1.4.3), and where the
 * structures lie in BAR 4 of the fake device. */
#define C_DEV_FEATURE 0x04
#define C_DRV_FEATURE 0x0c
#define C_STATUS      0x14
#define C_QUEUE_SIZE  0x18
#define C_QUEUE_MSIX  0x1a
#define DEVCFG        0x2000
#define NOTIFY        0x3000
#define QSIZE         128       /* what the driver picks of 256 */
#define RING_AVAIL    (16 * QSIZE)
#define RING_USED     (RING_AVAIL + 4 + 2 * QSIZE + 4)    /* after used_event, 4-aligned */

struct drv_dev {
    uint8_t cfg[256];
    _Alignas(4096) uint8_t bar[0x4000];
    void (*fn[DRV_IRQ_MAX])(void *ctx);
    void *ctx[DRV_IRQ_MAX];
    unsigned acks[DRV_IRQ_MAX];
    bool quiesced, fail_irq;
    struct drv_dma dma[16];     /* in the order allocated: RX ring, 4 chunks, TX ring, 4 chunks */
    unsigned ndma, live;        /* allocations made, not yet freed */
    uint16_t rx_seen, tx_seen;  /* avail entries the device took */
};

static struct drv_dev devs[6];
static unsigned misbehaves;

/* ---- the home: drv.h over plain memory */

uint32_t drv_cfg_read(struct drv_dev *d, unsigned off, unsigned width)
{
    uint32_t v = 0;
    if (off + width > sizeof(d->cfg))
        return 0xffffffffu;
    memcpy(&v, d->cfg + off, width);
    return v;
}

int drv_cfg_write(struct drv_dev *d, unsigned off, unsigned width, uint32_t v)
{
    if (width != 2 || (off != DRV_CFG_COMMAND && off != DRV_CFG_STATUS))
        return -E_PERM;
    memcpy(d->cfg + off, &v, 2);
    return 0;
}

int drv_bar_map(struct drv_dev *d, unsigned bar, volatile void **regs, uint64_t *size)
{
    if (bar != 4)
        return -E_INVAL;
    *regs = d->bar;
    *size = sizeof(d->bar);
    return 0;
}

int drv_dma_alloc(struct drv_dev *d, size_t len, struct drv_dma *out)
{
    if (len == 0 || len > DRV_DMA_MAX_PAGES * DRV_PAGE)
        return -E_INVAL;
    len = (len + DRV_PAGE - 1) / DRV_PAGE * DRV_PAGE;
    void *p = aligned_alloc(DRV_PAGE, len);
    CHECK(p && d->ndma < 16);
    memset(p, 0, len);
    *out = (struct drv_dma){.va = p, .iova = (uintptr_t)p, .len = len};
    d->dma[d->ndma++] = *out;
    d->live++;
    return 0;
}

void drv_dma_free(struct drv_dev *d, struct drv_dma *m)
{
    free(m->va);
    d->live--;
    *m = (struct drv_dma){0};
}

int drv_irq_bind(struct drv_dev *d, unsigned vector, void (*fn)(void *ctx), void *ctx)
{
    if (d->fail_irq)
        return -E_NOSPC;
    CHECK(vector < DRV_IRQ_MAX && !d->fn[vector]);
    d->fn[vector] = fn;
    d->ctx[vector] = ctx;
    return 0;
}

void drv_irq_ack(struct drv_dev *d, unsigned vector)
{
    d->acks[vector]++;
}

void drv_quiesce(struct drv_dev *d)
{
    memset(d->fn, 0, sizeof(d->fn));
    d->quiesced = true;
}

void drv_log(struct drv_dev *d, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    printf("virtio_net dev%ld: %s\n", (long)(d - devs), line);
    misbehaves += strstr(line, "misbehaves") != NULL;
}

/* ---- the device */

static void put(struct drv_dev *d, unsigned off, uint32_t v, unsigned width)
{
    memcpy(d->bar + off, &v, width);
}

/* Vendor capability of cfg_type type at config offset at, next at next. */
static void vcap(struct drv_dev *d, unsigned at, unsigned next, unsigned type, uint32_t off, uint32_t len)
{
    uint8_t *c = d->cfg + at;
    c[0] = 0x09;
    c[1] = (uint8_t)next;
    c[2] = type == 2 ? 20 : 16;
    c[3] = (uint8_t)type;
    c[4] = 4;
    memcpy(c + 8, &off, 4);
    memcpy(c + 12, &len, 4);
    if (type == 2)
        memcpy(c + 16, &(uint32_t){4}, 4);
}

static struct drv_dev *dev_new(unsigned i, uint32_t features)
{
    struct drv_dev *d = &devs[i];
    d->cfg[0x34] = 0x40;
    vcap(d, 0x40, 0x54, 1, 0, 0x1000);
    vcap(d, 0x54, 0x64, 4, DEVCFG, 0x100);
    vcap(d, 0x64, 0, 2, NOTIFY, 0x1000);
    put(d, C_DEV_FEATURE, features, 4);
    put(d, C_QUEUE_SIZE, 256, 2);
    memcpy(d->bar + DEVCFG, "\x52\x54\x00\x12\x34\x00", 6);
    d->bar[DEVCFG + 5] = (uint8_t)i;
    put(d, DEVCFG + 6, 1, 2);   /* link up */
    return d;
}

static uint8_t *ring(struct drv_dev *d, unsigned q) { return d->dma[q ? 5 : 0].va; }
static uint16_t *avail_idx(struct drv_dev *d, unsigned q) { return (uint16_t *)(ring(d, q) + RING_AVAIL + 2); }
static uint16_t avail_ent(struct drv_dev *d, unsigned q, unsigned i)
{
    return ((uint16_t *)(ring(d, q) + RING_AVAIL + 4))[i % QSIZE];
}
static uint16_t *used_idx(struct drv_dev *d, unsigned q) { return (uint16_t *)(ring(d, q) + RING_USED + 2); }
static uint32_t *used_ent(struct drv_dev *d, unsigned q, unsigned i)
{
    return (uint32_t *)(ring(d, q) + RING_USED + 4 + 8 * (i % QSIZE));
}
static uint64_t desc_addr(struct drv_dev *d, unsigned q, unsigned id)
{
    return *(uint64_t *)(ring(d, q) + 16 * id);
}
static uint32_t desc_len(struct drv_dev *d, unsigned q, unsigned id)
{
    return *(uint32_t *)(ring(d, q) + 16 * id + 8);
}

/* Mark used: descriptor id, len bytes written. */
static void used(struct drv_dev *d, unsigned q, unsigned id, uint32_t len)
{
    uint32_t *e = used_ent(d, q, *used_idx(d, q));
    e[0] = id;
    e[1] = len;
    ++*used_idx(d, q);
}

/* Receive a frame into the next posted RX buffer and interrupt. */
static void dev_rx(struct drv_dev *d, const void *frame, uint32_t len)
{
    CHECK(d->rx_seen != *avail_idx(d, 0));
    uint16_t id = avail_ent(d, 0, d->rx_seen++);
    uint8_t *b = (uint8_t *)(uintptr_t)desc_addr(d, 0, id);
    CHECK(desc_len(d, 0, id) >= 12 + len);
    memset(b, 0, 12);
    memcpy(b + 12, frame, len);
    used(d, 0, id, 12 + len);
    d->fn[0](d->ctx[0]);
}

/* Complete the next n TX buffers the driver posted (no interrupt). */
static void dev_tx_done(struct drv_dev *d, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        CHECK(d->tx_seen != *avail_idx(d, 1));
        used(d, 1, avail_ent(d, 1, d->tx_seen++), 0);
    }
}

/* ---- the net layer */

static struct {
    unsigned n;
    size_t len;
    uint8_t frame[NETDEV_FRAME_MAX];
} got;

static void rx(void *ctx, const void *frame, size_t len)
{
    CHECK(ctx == &got && len <= sizeof(got.frame));
    got.n++;
    got.len = len;
    memcpy(got.frame, frame, len);
}

static struct netdev *up(struct drv_dev *d, unsigned i)
{
    CHECK(virtio_net_driver.probe(d) == 0);
    struct netdev *nd = netdev_find(i);
    CHECK(nd && nd->mac[5] == d - devs && !nd->running);
    CHECK(netdev_up(nd, rx, &got) == 0 && nd->running && nd->link_up);
    return nd;
}

static void test_probe_refuses(void)
{
    struct drv_dev *d = dev_new(0, 1u << 5 | 1u << 16);    /* high word: no VERSION_1 */
    CHECK(virtio_net_driver.probe(d) == -E_NODEV);
    CHECK(netdev_find(0) == NULL && d->bar[C_STATUS] == 0);
}

static void test_traffic(void)
{
    struct drv_dev *d = dev_new(1, 0x10023);
    CHECK(virtio_net_driver.probe(d) == 0);
    struct netdev *nd = netdev_find(0);
    CHECK(nd && memcmp(nd->mac, "\x52\x54\x00\x12\x34\x01", 6) == 0 && d->bar[C_STATUS] == 0);
    CHECK(netdev_tx(nd, "0123456789abcdef", 16) == -E_NODEV);
    d->fail_irq = true;         /* up fails after allocating: all given back */
    CHECK(netdev_up(nd, rx, &got) == -E_NOSPC && !nd->running && d->live == 0 && d->bar[C_STATUS] == 0);
    d->fail_irq = false;
    d->quiesced = false;
    d->ndma = 0;
    CHECK(netdev_up(nd, rx, &got) == 0 && nd->running && d->live == 10);
    CHECK(netdev_up(nd, rx, &got) == -E_BUSY);
    CHECK(d->bar[C_STATUS] == 0x0f && *(uint32_t *)(d->bar + C_DRV_FEATURE) == 0x3);  /* high word last */
    CHECK(d->bar[C_QUEUE_MSIX] == 1 && d->fn[0] && d->fn[1]);
    CHECK((drv_cfg_read(d, DRV_CFG_COMMAND, 2) & DRV_CMD_MASTER) && *avail_idx(d, 0) == QSIZE);

    uint8_t f[60];
    for (unsigned i = 0; i < sizeof(f); i++)
        f[i] = (uint8_t)(i * 5);
    for (unsigned k = 0; k < 300; k++) {    /* more than the ring: buffers are reposted */
        f[0] = (uint8_t)k;
        dev_rx(d, f, sizeof(f));
        CHECK(got.n == k + 1 && got.len == sizeof(f) && memcmp(got.frame, f, sizeof(f)) == 0);
    }
    CHECK(*avail_idx(d, 0) == QSIZE + 300 && d->acks[0] == 300 && nd->rx_frames == 300);
    dev_rx(d, f, 10);           /* a runt: not handed up */
    CHECK(got.n == 300 && nd->rx_errors == 1 && d->acks[0] == 301);

    for (unsigned k = 0; k < QSIZE; k++) {
        f[1] = (uint8_t)k;
        CHECK(netdev_tx(nd, f, sizeof(f)) == 0);
    }
    CHECK(netdev_tx(nd, f, sizeof(f)) == -E_AGAIN && nd->tx_frames == QSIZE);
    CHECK(netdev_tx(nd, f, NETDEV_FRAME_MAX + 1) == -E_INVAL);
    uint16_t id = avail_ent(d, 1, 5);
    uint8_t *b = (uint8_t *)(uintptr_t)desc_addr(d, 1, id);
    CHECK(desc_len(d, 1, id) == 12 + sizeof(f) && b[0] == 0 && b[11] == 0 && b[13] == 5 && b[14] == f[2]);
    CHECK(*(uint16_t *)(d->bar + NOTIFY) == 1);
    dev_tx_done(d, 10);
    for (unsigned k = 0; k < 10; k++)
        CHECK(netdev_tx(nd, f, sizeof(f)) == 0);
    CHECK(netdev_tx(nd, f, sizeof(f)) == -E_AGAIN && nd->tx_done == 10);
    dev_tx_done(d, QSIZE);
    d->fn[1](d->ctx[1]);        /* the TX interrupt reclaims */
    CHECK(nd->tx_done == QSIZE + 10 && d->acks[1] == 1);

    /* A length beyond the buffer: stopped, logged once, never acked again. */
    uint16_t rid = avail_ent(d, 0, d->rx_seen++);
    used(d, 0, rid, 4096);
    void (*rx_intr)(void *) = d->fn[0];
    void *ctx = d->ctx[0];
    rx_intr(ctx);
    CHECK(misbehaves == 1 && !nd->running && d->quiesced && d->bar[C_STATUS] == 0 && d->acks[0] == 301);
    rx_intr(ctx);
    CHECK(misbehaves == 1 && d->acks[0] == 301);
    CHECK(netdev_tx(nd, f, sizeof(f)) == -E_NODEV && netdev_up(nd, rx, &got) == -E_NODEV);
}

/* TX rings broken three ways, one device each. */
static void test_tx_broken(void)
{
    uint8_t f[60] = {0};
    struct netdev *nd = up(dev_new(2, 0x10023), 1);
    struct drv_dev *d = &devs[2];
    CHECK(netdev_tx(nd, f, sizeof(f)) == 0 && netdev_tx(nd, f, sizeof(f)) == 0);
    *used_idx(d, 1) += 5;       /* more than was posted */
    CHECK(netdev_tx(nd, f, sizeof(f)) == -E_NODEV && misbehaves == 2 && !nd->running);

    nd = up(dev_new(3, 0x10023), 2);
    d = &devs[3];
    CHECK(netdev_tx(nd, f, sizeof(f)) == 0);
    used(d, 1, 200, 0);         /* no such descriptor */
    CHECK(netdev_tx(nd, f, sizeof(f)) == -E_NODEV && misbehaves == 3);

    nd = up(dev_new(4, 0x10023), 3);
    d = &devs[4];
    CHECK(netdev_tx(nd, f, sizeof(f)) == 0 && netdev_tx(nd, f, sizeof(f)) == 0);
    uint16_t id = avail_ent(d, 1, 0);
    used(d, 1, id, 0);
    used(d, 1, id, 0);          /* the same buffer twice */
    d->fn[1](d->ctx[1]);
    CHECK(misbehaves == 4 && !nd->running && d->acks[1] == 0);

    CHECK(virtio_net_driver.probe(dev_new(5, 0x10023)) == -E_NOSPC);   /* the driver's table is full */
}

int main(void)
{
    test_probe_refuses();
    test_traffic();
    test_tx_broken();
    printf("test_virtio_net: %d checks passed\n", checks);
    return 0;
}
