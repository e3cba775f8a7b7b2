/*
 * PCI placement: every BAR and bridge window gets an address of its own,
 * so a device's registers can be mapped without touching RAM, another
 * device or the kernel's own MMIO.  qboot leaves BARs at 0; SeaBIOS and
 * OVMF assign them, and what they assigned on a root bus is kept when it
 * is sane (see pci_place_plan in pci.h).  Behind bridges the kernel
 * places everything itself: checking a firmware's three windows against
 * every address below them would cost more than placing anew.
 *
 * Windows are sized bottom-up (the table lists a bridge before what is
 * behind it, so a walk from the end meets children first): the BARs and
 * child windows on a secondary bus are laid out from offset 0, and the
 * window is their extent rounded up to 1 MiB (memory) or 4 KiB (I/O),
 * aligned like its largest item.  The root buses' items are then laid out
 * by the same walk (lay_out: largest alignment first, each first-fit)
 * around the machine's holes and the firmware BARs kept, and a walk from
 * the start turns the offsets below bridges into addresses.  Power-of-two BARs taken largest
 * first pack without gaps.  Prefetchable BARs share the memory window (all
 * new addresses are below 4 GiB); the prefetchable window stays closed.
 * What does not fit keeps base 0 and its decoding off, and so does
 * everything behind a window that does not fit.
 *
 * Decoding: memory (I/O) decoding is on when all of a function's memory
 * (I/O) BARs, and for a bridge its window, are placed, off otherwise; a
 * kind it has no BARs of keeps the firmware's setting (legacy VGA, IDE).
 * An SR-IOV PF's VF BAR0, TotalVFs windows in one, is placed like a memory
 * BAR of its PF (never kept from a firmware) and written into its SR-IOV
 * capability; VF decoding stays off until the PF's holder enables VFs.
 * Bus mastering is never turned on, expansion ROMs are turned off, host
 * bridges are left alone.  Runs once at boot, under the kernel lock.
 */
#include "console.h"
#include "klib.h"
#include "pci.h"

#define CFG_IO_BASE    0x1c     /* bridges: I/O base, limit (address bits 15:12) */
#define CFG_MEM_BASE   0x20     /* memory base, limit (bits 31:20) */
#define CFG_PF_BASE    0x24     /* prefetchable base, limit; upper halves at 0x28, 0x2c */
#define CFG_IO_UPPER   0x30     /* I/O base and limit bits 31:16 */
#define CFG_ROM        0x30
#define CFG_ROM_BRIDGE 0x38

#define MEM_GRAIN (1ull << 20)
#define IO_GRAIN  (1ull << 12)
#define TOO_BIG   (1ull << 32)  /* nothing this large is placed */
#define SLOT_WIN  6             /* an item that is a bridge window, not a BAR */
#define SLOT_VF   7             /* ... an SR-IOV PF's VF BAR0 */
#define PCI_SRIOV_BAR0 0x24         /* VF BAR0 in the SR-IOV capability */
#define MAX_ITEMS (PCI_MAX_FUNCS * 8)

#define WIN(io)   ((io) ? PCI_WIN_IO : PCI_WIN_MEM)

struct item {                   /* something to place on one bus */
    uint64_t size, align;
    uint64_t *base;             /* the BAR's or window's */
    bool *placed;
    uint16_t fn;                /* index in the table */
    uint8_t slot;               /* BAR index, or SLOT_WIN */
};

struct span {
    uint64_t base, end;
    bool io;
};

static struct {
    int parent[PCI_MAX_FUNCS];              /* the bridge a function is behind (-1: a root bus) */
    uint64_t align[PCI_MAX_FUNCS][2];       /* bridges: what each window must be aligned to */
    bool clash[PCI_MAX_FUNCS * 6];          /* a firmware BAR overlaps another */
    struct item item[MAX_ITEMS];
    struct span taken[PCI_MAX_HOLES + MAX_ITEMS];   /* root level: holes and what is placed */
    unsigned ntaken;
} plan;                                     /* pci_place_plan's scratch: boot, kernel lock */

static bool is_host(const struct pci_func *f) { return f->class == 0x06 && f->subclass == 0x00; }

static bool is_io(const struct pci_bar *b) { return b->flags & PCI_BAR_IO; }

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return x > UINT64_MAX - (a - 1) ? UINT64_MAX : (x + a - 1) & ~(a - 1);
}

static bool overlap(uint64_t b1, uint64_t e1, uint64_t b2, uint64_t e2)
{
    return b1 < e2 && b2 < e1;
}

static bool inside(const struct pci_range *r, uint64_t base, uint64_t end)
{
    return r->base <= base && end <= r->end;
}

/* Log that f's BAR (or window, if bar is SLOT_WIN) got no address. */
static void say(const struct pci_func *f, unsigned bar, bool io, uint64_t size)
{
    kprintf("pci %04x:%02x:%02x.%x: no room for ", PCI_SEG(f->addr), PCI_BUS(f->addr), PCI_DEV(f->addr),
            PCI_FN(f->addr));
    if (bar == SLOT_WIN)
        kprintf("its %s window (%lx bytes): it and what is behind it stay unassigned\n", io ? "I/O" : "memory", size);
    else if (bar == SLOT_VF)
        kprintf("its VF BAR0 (%lx bytes): no VF can be enabled\n", size);
    else
        kprintf("BAR %u (%lx bytes): unassigned\n", bar, size);
}

/* Fill plan.item with the items of one kind on the bus behind bridge p
 * (-1: the root buses), largest alignment then size first, ties in table
 * order; returns how many. */
static unsigned gather(struct pci_func *f, unsigned n, int p, bool io)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (plan.parent[i] != p || is_host(&f[i]))
            continue;
        for (unsigned j = 0; j < f[i].nbars; j++) {
            struct pci_bar *b = &f[i].bar[j];
            if (b->size && is_io(b) == io)
                plan.item[k++] = (struct item){b->size, b->size, &b->base, &b->placed, (uint16_t)i, (uint8_t)j};
        }
        struct pci_bar *v = &f[i].sriov_bar;
        if (v->size && !io)
            plan.item[k++] = (struct item){v->size, f[i].sriov_vf_size, &v->base, &v->placed, (uint16_t)i, SLOT_VF};
        struct pci_window *w = &f[i].window[WIN(io)];
        if (w->size)
            plan.item[k++] = (struct item){w->size, plan.align[i][io], &w->base, &w->placed, (uint16_t)i, SLOT_WIN};
    }
    for (unsigned i = 1; i < k; i++) {
        struct item t = plan.item[i];
        unsigned j = i;
        for (; j > 0 && (plan.item[j - 1].align < t.align ||
                         (plan.item[j - 1].align == t.align && plan.item[j - 1].size < t.size)); j--)
            plan.item[j] = plan.item[j - 1];
        plan.item[j] = t;
    }
    return k;
}

/* The lowest address in r aligned to align where size bytes touch nothing
 * taken; false if there is none. */
static bool first_fit(const struct pci_range *r, bool io, uint64_t size, uint64_t align, uint64_t *at)
{
    uint64_t a = align_up(r->base, align);
    for (bool moved = true; moved;) {
        moved = false;
        if (size >= TOO_BIG || a >= r->end || size > r->end - a)
            return false;
        for (unsigned i = 0; i < plan.ntaken && !moved; i++) {
            const struct span *t = &plan.taken[i];
            if (t->io == io && overlap(a, a + size, t->base, t->end)) {
                a = align_up(t->end, align);
                moved = true;
            }
        }
    }
    *at = a;
    return true;
}

static void take(uint64_t base, uint64_t end, bool io)
{
    plan.taken[plan.ntaken++] = (struct span){base, end, io};
}

/* Whether the firmware's address for b could be kept, before it is
 * compared with the other BARs. */
static bool firmware_sane(const struct pci_bar *b, const struct pci_space *s)
{
    uint64_t base = b->base, end = base + b->size;
    if (!base || base % b->size || end < base)
        return false;
    if (is_io(b) && !inside(&s->keep_io, base, end))
        return false;
    if (!is_io(b) && !inside(&s->keep_mem[0], base, end) && !inside(&s->keep_mem[1], base, end))
        return false;
    for (unsigned i = 0; i < plan.ntaken; i++)      /* so far: the holes and host bridges' BARs */
        if (plan.taken[i].io == is_io(b) && overlap(base, end, plan.taken[i].base, plan.taken[i].end))
            return false;
    return true;
}

/* Keep the sane firmware BARs on the root buses that overlap no other
 * sane one (of a conflict neither side is believed); returns how many. */
static unsigned keep_firmware(struct pci_func *f, unsigned n, const struct pci_space *s)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < f[i].nbars; j++)
            f[i].bar[j].placed = plan.parent[i] < 0 && !is_host(&f[i]) && f[i].bar[j].size &&
                                 firmware_sane(&f[i].bar[j], s);
    for (unsigned i = 0; i < n * 6; i++) {
        const struct pci_bar *a = &f[i / 6].bar[i % 6];
        plan.clash[i] = false;
        for (unsigned j = 0; j < n * 6 && a->placed; j++) {
            const struct pci_bar *b = &f[j / 6].bar[j % 6];
            plan.clash[i] |= j != i && b->placed && is_io(a) == is_io(b) &&
                             overlap(a->base, a->base + a->size, b->base, b->base + b->size);
        }
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < n * 6; i++) {
        struct pci_bar *a = &f[i / 6].bar[i % 6];
        a->placed &= !plan.clash[i];
        if (a->placed) {
            take(a->base, a->base + a->size, is_io(a));
            kept++;
        }
    }
    return kept;
}

/* Lay out the items of one kind on the bus behind bridge p (-1: the root
 * buses) in r, in gather's order, each at the lowest aligned address that
 * touches nothing taken, skipping those placed already (firmware BARs
 * kept); what is laid out is taken.  Returns how many items there are;
 * *end is where the highest ends, or TOO_BIG if one did not fit. */
static unsigned lay_out(struct pci_func *f, unsigned n, int p, bool io, const struct pci_range *r, uint64_t *end)
{
    unsigned k = gather(f, n, p, io);
    *end = 0;
    for (const struct item *it = plan.item; it < plan.item + k; it++) {
        uint64_t at = 0;
        if (*it->placed)
            continue;
        *it->placed = first_fit(r, io, it->size, it->align, &at);
        *it->base = at;
        if (*it->placed)
            take(at, at + it->size, io);
        else if (p < 0)
            say(&f[it->fn], it->slot, io, it->size);
        *end = *it->placed ? MAX(*end, at + it->size) : TOO_BIG;
    }
    return k;
}

/* Size bridge b's window of one kind from what is behind it, laid out from
 * offset 0 (each item's offset in the window left as its base). */
static void window_size(struct pci_func *f, unsigned n, unsigned b, bool io)
{
    static const struct pci_range offsets = {0, TOO_BIG};
    uint64_t grain = io ? IO_GRAIN : MEM_GRAIN, end;
    plan.ntaken = 0;
    unsigned k = lay_out(f, n, (int)b, io, &offsets, &end);
    f[b].window[WIN(io)].size = !k ? 0 : end >= TOO_BIG ? TOO_BIG : align_up(end, grain);
    plan.align[b][io] = k ? MAX(grain, plan.item[0].align) : grain;
}

/* Child item at offset *base in window w: an address if w has one. */
static void place_child(uint64_t *base, bool *placed, const struct pci_window *w)
{
    *placed = w->placed;
    *base = w->placed ? w->base + *base : 0;
}

/* Turn offsets below bridges into addresses, parents first; a bridge
 * without an address for a BAR of its own cannot decode that kind, so its
 * window of that kind closes too. */
static void place_children(struct pci_func *f, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct pci_func *g = &f[i];
        if (is_host(g))
            continue;
        const struct pci_func *p = plan.parent[i] >= 0 ? &f[plan.parent[i]] : NULL;
        bool missing[2] = {false, false};
        for (unsigned j = 0; j < g->nbars; j++) {
            struct pci_bar *b = &g->bar[j];
            if (b->size && p)
                place_child(&b->base, &b->placed, &p->window[WIN(is_io(b))]);
            missing[is_io(b)] |= b->size && !b->placed;
        }
        if (g->sriov_bar.size && p)
            place_child(&g->sriov_bar.base, &g->sriov_bar.placed, &p->window[PCI_WIN_MEM]);
        for (int k = 0; k < 2; k++) {
            struct pci_window *w = &g->window[k];
            if (w->size && p)
                place_child(&w->base, &w->placed, &p->window[k]);
            if (w->placed && missing[k == PCI_WIN_IO])
                *w = (struct pci_window){.size = w->size};
        }
    }
}

unsigned pci_place_plan(struct pci_func *f, unsigned n, const struct pci_space *s)
{
    n = MIN(n, PCI_MAX_FUNCS);
    for (unsigned i = 0; i < n; i++) {
        plan.parent[i] = -1;
        for (unsigned j = 0; j < i && plan.parent[i] < 0; j++)
            if (f[j].header == PCI_HDR_BRIDGE && f[j].scanned && PCI_SEG(f[j].addr) == PCI_SEG(f[i].addr) &&
                f[j].sec_bus == PCI_BUS(f[i].addr))
                plan.parent[i] = (int)j;
        for (unsigned j = 0; j < 6; j++)
            f[i].bar[j].placed = false;
        f[i].sriov_bar.placed = false;
        f[i].window[0] = f[i].window[1] = (struct pci_window){0};
    }
    for (unsigned i = n; i-- > 0;)
        if (f[i].header == PCI_HDR_BRIDGE && f[i].scanned && !is_host(&f[i]))
            for (int kind = 0; kind < 2; kind++)
                window_size(f, n, i, kind);
    plan.ntaken = 0;
    for (unsigned i = 0; i < n; i++)    /* host bridges are left as they are, but what they decode is theirs */
        for (unsigned j = 0; is_host(&f[i]) && j < f[i].nbars; j++)
            if (f[i].bar[j].size && f[i].bar[j].base)
                take(f[i].bar[j].base, f[i].bar[j].base + f[i].bar[j].size, is_io(&f[i].bar[j]));
    for (unsigned i = 0; i < s->nholes && i < PCI_MAX_HOLES; i++)
        take(s->hole[i].base, s->hole[i].end, false);
    unsigned kept = keep_firmware(f, n, s);
    const struct pci_range r[2] = {{s->mem.base, MIN(s->mem.end, 1ull << 32)}, {s->io.base, MIN(s->io.end, 0x10000)}};
    uint64_t end;
    for (int io = 0; io < 2; io++)      /* the root buses' remaining items, in the machine's windows */
        lay_out(f, n, -1, io, &r[io], &end);
    place_children(f, n);
    return kept;
}

bool pci_mmio_owner(paddr_t pa, uint64_t len, const struct pci_func **fp, unsigned *bar)
{
    unsigned n;
    const struct pci_func *f = pci_func_table(&n);
    for (unsigned i = 0; i < n && len && pa + len > pa; i++) {
        for (unsigned j = 0; j < f[i].nbars; j++) {
            const struct pci_bar *b = &f[i].bar[j];
            if (b->placed && !is_io(b) && b->base <= pa && pa + len <= b->base + b->size) {
                if (fp)
                    *fp = &f[i];
                if (bar)
                    *bar = j;
                return true;
            }
        }
    }
    return false;
}

/* ---- the config writes */

static void windows_write(const struct pci_func *f)
{
    pci_addr_t a = f->addr;
    const struct pci_window *m = &f->window[PCI_WIN_MEM], *io = &f->window[PCI_WIN_IO];
    uint64_t mlast = m->base + m->size - 1, iolast = io->base + io->size - 1;
    pci_cfg_write16(a, CFG_MEM_BASE, m->placed ? (uint16_t)(m->base >> 16 & 0xfff0) : 0xfff0);
    pci_cfg_write16(a, CFG_MEM_BASE + 2, m->placed ? (uint16_t)(mlast >> 16 & 0xfff0) : 0);
    pci_cfg_write16(a, CFG_PF_BASE, 0xfff0);        /* closed: base above limit */
    pci_cfg_write16(a, CFG_PF_BASE + 2, 0);
    pci_cfg_write32(a, CFG_PF_BASE + 4, 0);
    pci_cfg_write32(a, CFG_PF_BASE + 8, 0);
    pci_cfg_write32(a, CFG_IO_UPPER, 0);            /* ports below 64K */
    pci_cfg_write8(a, CFG_IO_BASE, io->placed ? (uint8_t)(io->base >> 8 & 0xf0) : 0xf0);
    pci_cfg_write8(a, CFG_IO_BASE + 1, io->placed ? (uint8_t)(iolast >> 8 & 0xf0) : 0);
}

/* Write f's addresses with its decoding off, then set its decoding. */
static void func_write(const struct pci_func *f)
{
    pci_addr_t a = f->addr;
    bool bridge = f->header == PCI_HDR_BRIDGE;
    unsigned have = 0, missing = 0, on;
    for (unsigned j = 0; j < f->nbars; j++) {
        unsigned kind = is_io(&f->bar[j]) ? PCI_CMD_IO : PCI_CMD_MEM;
        have |= f->bar[j].size ? kind : 0;
        missing |= f->bar[j].size && !f->bar[j].placed ? kind : 0;
    }
    on = have & ~missing;
    if (bridge) {
        on |= (f->window[PCI_WIN_MEM].placed ? PCI_CMD_MEM : 0) | (f->window[PCI_WIN_IO].placed ? PCI_CMD_IO : 0);
        on &= ~missing;
        have = PCI_CMD_IO | PCI_CMD_MEM;
    }
    if (!have || is_host(f))
        return;
    uint16_t cmd = pci_cfg_read16(a, PCI_CFG_COMMAND);
    pci_cfg_write16(a, PCI_CFG_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
    for (unsigned j = 0; j < f->nbars; j++) {
        const struct pci_bar *b = &f->bar[j];
        if (!b->size)
            continue;
        pci_cfg_write32(a, PCI_CFG_BAR0 + 4 * j, (uint32_t)b->base);
        if (b->flags & PCI_BAR_MEM64)
            pci_cfg_write32(a, PCI_CFG_BAR0 + 4 * j + 4, (uint32_t)(b->base >> 32));
    }
    if (f->sriov_bar.placed) {
        pci_cfg_write32(a, f->sriov_off + PCI_SRIOV_BAR0, (uint32_t)f->sriov_bar.base);
        if (f->sriov_bar.flags & PCI_BAR_MEM64)
            pci_cfg_write32(a, f->sriov_off + PCI_SRIOV_BAR0 + 4, (uint32_t)(f->sriov_bar.base >> 32));
    }
    pci_cfg_write32(a, bridge ? CFG_ROM_BRIDGE : CFG_ROM, 0);
    if (bridge)
        windows_write(f);
    pci_cfg_write16(a, PCI_CFG_COMMAND, (uint16_t)((cmd & ~have) | on));
}

void pci_place(void)
{
    static struct pci_space s;      /* boot only; too large for the stack */
    unsigned n, bars = 0, placed = 0;
    struct pci_func *f = pci_func_table(&n);
    pci_platform_space(&s);
    unsigned kept = pci_place_plan(f, n, &s);
    for (unsigned i = 0; i < n; i++) {
        func_write(&f[i]);
        for (unsigned j = 0; j < f[i].nbars && !is_host(&f[i]); j++) {
            bars += f[i].bar[j].size != 0;
            placed += f[i].bar[j].placed;
        }
    }
    kprintf("pci: memory window %lx-%lx, ports %lx-%lx: %u of %u BARs placed, %u as the firmware had them\n",
            s.mem.base, s.mem.end, s.io.base, s.io.end, placed, bars, kept);
}
