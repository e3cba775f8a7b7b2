/*
 * A user-level home for the drivers in drivers/: drv.h implemented in a
 * Veneer-native program over the device, register, interrupt and DMA
 * capabilities of <veneer/dev.h>.  The same driver objects as in the
 * kernel home (nvme.c, virtio_net.c) are built a second time with the
 * user flags and linked with this file (make: libdrv.a), so an
 * application can own a device and drive it with no kernel on its data
 * path (Arrakis); the kernel still confines what it can do.
 *
 *   drv_cfg_read/write  dev_cfg_read / dev_cfg_write (drv.h's registers only,
 *                       then the kernel's filter)
 *   drv_bar_map         dev_regs + page_map of every page of the BAR,
 *                       uncached, but the MSI-X table and PBA pages
 *                       (the kernel's: left unmapped)
 *   drv_dma_alloc       page_alloc (contiguous) + page_map + dma_map at an
 *                       IOVA this home chooses: per device from
 *                       UHOME_IOVA_BASE, a guard page between allocations,
 *                       an allocation's range reused by the next of its size
 *   drv_irq_bind        dev_irq(VN_IRQ_MSIX) to the home's one notification
 *                       word, bit dev * DRV_IRQ_MAX + vector; uhome_wait
 *                       takes the word and calls the bound callbacks
 *   drv_irq_ack         irq_ack, if an interrupt was delivered since the
 *                       last: uhome_poll runs the callbacks with none, and
 *                       then the vector stays masked and costs nothing
 *   drv_quiesce         bus mastering off, the interrupt capabilities deleted
 *   drv_time_us         the TSC (vn_clock_ns);  drv_log: one console write
 *
 * Without an IOMMU (the PC) the kernel lets no user-level holder turn on
 * bus mastering or map DMA, so drv_dma_alloc fails with -E_NODEV there.
 * The home is single-threaded by contract (home_user.h): the program's
 * one thread serialises every call into the driver, which guards uhome.
 */
#include <stdarg.h>
#include <libveneer.h>
#include <vn.h>
#include "blkdev.h"
#include "home_user.h"

struct uhome_dma {                  /* one drv_dma_alloc */
    uint64_t iova, npages;          /* kept once freed: the next of its size reuses the range */
    uint64_t va;
    capref_t pages;                 /* the root page capability; -1 while free */
};

struct drv_dev {
    capref_t cap;                   /* the device capability (the holder) */
    const struct drv_driver *drv;
    struct vn_devinfo info;
    unsigned index;                 /* in uhome.dev: its bits in the word */
    bool live;
    struct {
        capref_t regs;              /* 0: not mapped yet */
        volatile void *va;
    } bar[6];
    capref_t irq[DRV_IRQ_MAX];      /* 0: not bound */
    void (*fn[DRV_IRQ_MAX])(void *ctx);
    void *ctx[DRV_IRQ_MAX];
    bool delivered[DRV_IRQ_MAX];    /* an interrupt came (masked) and is not acknowledged yet */
    uint64_t iova_next;
    struct uhome_dma dma[UHOME_DMA_MAX];
};

static struct {
    capref_t word;                  /* every bound vector's bit */
    struct drv_dev dev[UHOME_DEV_MAX];
} uhome;

int uhome_init(void)
{
    long w = vn_notify_create();
    if (w < 0)
        return (int)w;
    uhome.word = (capref_t)w;
    return 0;
}

capref_t uhome_find(uint16_t vendor, uint16_t device, unsigned skip)
{
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        struct vn_devinfo di;
        capref_t c = (capref_t)(VN_CAP_DEV_FIRST + i);
        if (vn_dev_info(c, &di) == 0 && di.vendor == vendor && di.device == device && skip-- == 0)
            return c;
    }
    return -E_NOENT;
}

capref_t uhome_dev_cap(const struct drv_dev *d)
{
    return d->cap;
}

const struct vn_devinfo *uhome_dev_info(const struct drv_dev *d)
{
    return &d->info;
}

int uhome_attach(capref_t dev, const struct drv_driver *const *drivers, unsigned n, struct drv_dev **out)
{
    struct vn_devinfo info;
    long r = vn_dev_info(dev, &info);
    if (r < 0)
        return (int)r;
    const struct drv_driver *drv = NULL;
    for (unsigned k = 0; k < n && !drv; k++)
        if (drivers[k]->vendor == info.vendor && drivers[k]->device == info.device)
            drv = drivers[k];
    if (!drv)
        return -E_NODEV;
    struct drv_dev *d = NULL;
    for (unsigned i = 0; i < UHOME_DEV_MAX && !d; i++)
        if (!uhome.dev[i].live)
            d = &uhome.dev[i];
    if (!d)
        return -E_NOSPC;
    *d = (struct drv_dev){.cap = dev, .drv = drv, .info = info, .index = (unsigned)(d - uhome.dev), .live = true,
                          .iova_next = UHOME_IOVA_BASE};
    for (unsigned i = 0; i < UHOME_DMA_MAX; i++)
        d->dma[i].pages = -1;
    if ((r = drv->probe(d)) < 0) {
        drv_log(d, "not taken (error %ld)", r);
        uhome_detach(d);
        return (int)r;
    }
    *out = d;
    return 0;
}

/* Drop the mappings and pages of allocation m (the device can no longer
 * reach them once dma_unmap returned). */
static void dma_release(struct drv_dev *d, struct uhome_dma *m)
{
    vn_dma_unmap(d->cap, m->iova, m->npages);
    vn_page_unmap(CAP_SELF, m->va, m->npages);
    vn_cap_delete(m->pages);
    m->pages = -1;
}

void uhome_detach(struct drv_dev *d)
{
    vn_dev_reset(d->cap);           /* bus mastering, interrupts and the domain first */
    for (unsigned v = 0; v < DRV_IRQ_MAX; v++)
        if (d->irq[v])
            vn_cap_delete(d->irq[v]);
    for (unsigned b = 0; b < 6; b++)
        if (d->bar[b].regs)
            vn_cap_delete(d->bar[b].regs);     /* unmaps its pages */
    for (unsigned i = 0; i < UHOME_DMA_MAX; i++)
        if (d->dma[i].pages >= 0)
            dma_release(d, &d->dma[i]);
    *d = (struct drv_dev){0};
}

long uhome_wait(uint64_t timeout_ns)
{
    long bits = timeout_ns == 0 ? vn_notify_poll(uhome.word)
                                : vn_notify_wait(uhome.word, timeout_ns == UHOME_FOREVER ? 0 : timeout_ns);
    if (bits == -E_TIMEOUT)
        return 0;
    if (bits < 0)
        return bits;
    long calls = 0;
    for (unsigned b = 0; b < UHOME_DEV_MAX * DRV_IRQ_MAX; b++) {
        struct drv_dev *d = &uhome.dev[b / DRV_IRQ_MAX];
        unsigned v = b % DRV_IRQ_MAX;
        if (((uint64_t)bits >> b & 1) && d->live && d->fn[v]) {
            d->delivered[v] = true;
            d->fn[v](d->ctx[v]);
            calls++;
        }
    }
    return calls;
}

long uhome_poll(void)
{
    long calls = 0;
    for (unsigned i = 0; i < UHOME_DEV_MAX; i++)
        for (unsigned v = 0; v < DRV_IRQ_MAX; v++)
            if (uhome.dev[i].live && uhome.dev[i].fn[v]) {
                uhome.dev[i].fn[v](uhome.dev[i].ctx[v]);
                calls++;
            }
    return calls;
}

uint32_t drv_cfg_read(struct drv_dev *d, unsigned off, unsigned width)
{
    long v = vn_dev_cfg_read(d->cap, off, width);
    return v < 0 ? 0xffffffffu : (uint32_t)v;
}

int drv_cfg_write(struct drv_dev *d, unsigned off, unsigned width, uint32_t v)
{
    if ((width != 1 && width != 2 && width != 4) || off % width)
        return -E_INVAL;
    if (width != 2 || (off != DRV_CFG_COMMAND && off != DRV_CFG_STATUS))
        return -E_PERM;
    long r = vn_dev_cfg_write(d->cap, off, width, v);
    return r < 0 ? (int)r : 0;
}

/* Whether page `page` of BAR bar holds part of the MSI-X table or PBA. */
static bool msix_page(const struct vn_devinfo *di, unsigned bar, uint64_t page)
{
    if (!di->msix_size)
        return false;
    uint64_t off = page * DRV_PAGE, end = off + DRV_PAGE;
    uint64_t t0 = di->msix_table_off, t1 = t0 + (uint64_t)di->msix_size * 16;
    uint64_t p0 = di->msix_pba_off, p1 = p0 + ((uint64_t)di->msix_size + 63) / 64 * 8;
    return (bar == di->msix_table_bar && off < t1 && end > t0) || (bar == di->msix_pba_bar && off < p1 && end > p0);
}

int drv_bar_map(struct drv_dev *d, unsigned bar, volatile void **regs, uint64_t *size)
{
    if (bar >= d->info.nbars || bar >= 6)
        return -E_INVAL;
    const uint64_t len = d->info.bar[bar].size;
    if (!(d->info.bar[bar].flags & VN_BAR_PLACED) || !len || (d->info.bar[bar].flags & VN_BAR_IO))
        return -E_INVAL;
    if (!d->bar[bar].regs) {
        long rc = vn_dev_regs(d->cap, bar, CR_READ | CR_WRITE | CR_MAP);
        if (rc < 0)
            return rc == -E_INVAL ? -E_INVAL : -E_NOMEM;
        uint64_t npages = (len + DRV_PAGE - 1) / DRV_PAGE, va = vn_va_reserve(npages);
        static struct vn_map_entry batch[VN_MAP_BATCH_MAX];
        for (uint64_t p = 0; p < npages;) {
            size_t k = 0;
            for (; p < npages && k < VN_MAP_BATCH_MAX; p++)
                if (!msix_page(&d->info, bar, p))
                    batch[k++] = (struct vn_map_entry){va + p * DRV_PAGE, (capref_t)rc, VM_PROT_WRITE, p};
            if (k && vn_page_map(CAP_SELF, batch, k) != (long)k) {
                vn_cap_delete((capref_t)rc);
                return -E_NOMEM;
            }
        }
        d->bar[bar].regs = (capref_t)rc;
        d->bar[bar].va = (volatile void *)va;
    }
    *regs = d->bar[bar].va;
    *size = len;
    return 0;
}

int drv_dma_alloc(struct drv_dev *d, size_t len, struct drv_dma *out)
{
    if (len == 0 || len > DRV_DMA_MAX_PAGES * DRV_PAGE)
        return -E_INVAL;
    uint64_t n = (len + DRV_PAGE - 1) / DRV_PAGE;
    struct uhome_dma *m = NULL, *reuse = NULL, *fresh = NULL;
    for (unsigned i = 0; i < UHOME_DMA_MAX; i++) {
        struct uhome_dma *e = &d->dma[i];
        if (e->pages >= 0)
            continue;
        if (e->npages == n && !reuse)
            reuse = e;
        if ((!fresh || fresh->npages) && e->npages != n)
            fresh = e;          /* a record never used, or else one whose range is given up */
    }
    m = reuse ? reuse : fresh;
    if (!m)
        return -E_NOMEM;
    uint64_t iova = reuse ? reuse->iova : d->iova_next;
    long pages = vn_page_alloc(CAP_SELF, 0, n);
    if (pages < 0)
        return pages == -E_QUOTA ? -E_QUOTA : -E_NOMEM;
    uint64_t va = vn_va_reserve(n);
    struct vn_map_entry e[DRV_DMA_MAX_PAGES];
    for (uint64_t i = 0; i < n; i++)
        e[i] = (struct vn_map_entry){va + i * DRV_PAGE, (capref_t)pages, VM_PROT_WRITE, i};
    long r = vn_page_map(CAP_SELF, e, n);
    if (r == (long)n)
        r = vn_dma_map(d->cap, (capref_t)pages, iova, VN_DMA_READ | VN_DMA_WRITE);
    if (r != (long)n) {
        vn_cap_delete((capref_t)pages);     /* unmaps what was mapped */
        return r == -E_NODEV ? -E_NODEV : r == -E_QUOTA ? -E_QUOTA : -E_NOMEM;
    }
    memset((void *)va, 0, n * DRV_PAGE);
    *m = (struct uhome_dma){.iova = iova, .npages = n, .va = va, .pages = (capref_t)pages};
    if (!reuse)
        d->iova_next += (n + 1) * DRV_PAGE;     /* and a guard page */
    *out = (struct drv_dma){.va = (void *)va, .iova = iova, .len = n * DRV_PAGE};
    return 0;
}

void drv_dma_free(struct drv_dev *d, struct drv_dma *m)
{
    for (unsigned i = 0; i < UHOME_DMA_MAX; i++)
        if (d->dma[i].pages >= 0 && d->dma[i].iova == m->iova) {
            dma_release(d, &d->dma[i]);
            break;
        }
    *m = (struct drv_dma){0};
}

int drv_irq_bind(struct drv_dev *d, unsigned vector, void (*fn)(void *ctx), void *ctx)
{
    if (vector >= DRV_IRQ_MAX)
        return -E_INVAL;
    if (d->irq[vector])
        return -E_BUSY;
    long r = vn_dev_irq(d->cap, VN_IRQ_MSIX, vector, uhome.word, 1ul << (d->index * DRV_IRQ_MAX + vector));
    if (r < 0)
        return r == -E_QUOTA ? -E_NOMEM : (int)r;
    d->irq[vector] = (capref_t)r;
    d->fn[vector] = fn;
    d->ctx[vector] = ctx;
    return 0;
}

void drv_irq_ack(struct drv_dev *d, unsigned vector)
{
    if (vector < DRV_IRQ_MAX && d->irq[vector] && d->delivered[vector]) {
        d->delivered[vector] = false;
        vn_irq_ack(d->irq[vector]);
    }
}

void drv_quiesce(struct drv_dev *d)
{
    uint32_t cmd = drv_cfg_read(d, DRV_CFG_COMMAND, 2);
    if (cmd != 0xffffffffu)
        vn_dev_cfg_write(d->cap, DRV_CFG_COMMAND, 2, cmd & ~DRV_CMD_MASTER);
    for (unsigned v = 0; v < DRV_IRQ_MAX; v++) {
        if (d->irq[v])
            vn_cap_delete(d->irq[v]);
        d->irq[v] = 0;
        d->fn[v] = NULL;
        d->delivered[v] = false;
    }
}

uint64_t drv_time_us(void)
{
    return vn_clock_ns() / 1000;
}

const void *drv_dma_peek(struct drv_dev *d, uint64_t iova)
{
    (void)d, (void)iova;
    return NULL;
}

bool drv_cmdline_get(const char *key, char *buf, size_t len)
{
    (void)key, (void)buf, (void)len;
    return false;
}

void drv_log(struct drv_dev *d, const char *fmt, ...)
{
    char line[256];
    uint32_t a = d->info.addr;
    int n = snprintf(line, sizeof(line), "%s %02x:%02x.%x: ", d->drv->name, (a >> 8) & 0xff, (a >> 3) & 0x1f, a & 7);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    printf("%s\n", line);
}

struct sync_io {
    int status;
    bool done;
};

static void sync_done(struct blkdev_req *r, int status)
{
    struct sync_io *io = r->ctx;
    io->status = status;
    io->done = true;
}

int uhome_blk_sync(struct blkdev *bd, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t iova, uint16_t npages,
                   bool poll, uint64_t timeout_ns)
{
    struct sync_io io = {0};
    struct blkdev_req req = {.op = op, .npages = npages, .lba = lba, .nblocks = nblocks, .iova = iova,
                             .done = sync_done, .ctx = &io};
    int r = bd->ops->submit(bd, &req);
    if (r < 0)
        return r;
    uint64_t until = vn_clock_ns() + timeout_ns;
    while (!io.done && vn_clock_ns() < until)
        poll ? uhome_poll() : uhome_wait(timeout_ns);
    return io.done ? io.status : -E_TIMEOUT;
}
