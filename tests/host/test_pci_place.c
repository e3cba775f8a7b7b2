/*
 * Host unit test of PCI placement (kernel/pci_place.c) under ASan/UBSan.
 * The table is built here as enumeration would leave it (a bridge before
 * its subtree), pci_place() runs against a fake config space that keeps
 * what is written, and the result is checked from both sides: the table
 * (every placed BAR aligned, clear of the holes, of every other BAR and of
 * windows other than its ancestors', inside its bridge's window; nothing
 * unplaced with an address) and the registers (BARs and windows as in the
 * table, the prefetchable window closed, decoding on exactly for what is
 * placed, no BAR written while decoding, bus mastering never turned on,
 * host bridges untouched).  Random trees in roomy and cramped windows;
 * then firmware assignments sane and hostile, refusal when a window is too
 * small, and pci_mmio_owner.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pci.h"

static int checks;
#define CHECK(c) \
    do { \
        checks++; \
        if (!(c)) { \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (seed %lu)\n", __FILE__, __LINE__, #c, seed); \
            exit(1); \
        } \
    } while (0)

static unsigned long seed;
static uint64_t rng;

static uint64_t rnd(uint64_t n)     /* 0 .. n-1 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

/* ---- the machine: a table, a space, config registers */

static struct pci_func tab[PCI_MAX_FUNCS];
static unsigned ntab;
static struct pci_space space;
static uint8_t cfg[PCI_MAX_FUNCS][256];
static uint8_t cfg_before[PCI_MAX_FUNCS][256];
static unsigned long writes_decoding, writes_host;

#include "kprintf_capture.h"

static unsigned count(const char *needle)
{
    unsigned n = 0;
    for (const char *p = out; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

struct pci_func *pci_func_table(unsigned *n)
{
    *n = ntab;
    return tab;
}

void pci_platform_space(struct pci_space *s)
{
    *s = space;
}

static int fidx(pci_addr_t a)
{
    for (unsigned i = 0; i < ntab; i++)
        if (tab[i].addr == a)
            return (int)i;
    return -1;
}

static uint32_t get(int i, unsigned off, unsigned width)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < width; k++)
        v |= (uint32_t)cfg[i][off + k] << (8 * k);
    return v;
}

uint32_t pci_cfg_read(pci_addr_t a, unsigned off, unsigned width)
{
    int i = fidx(a);
    CHECK(i >= 0 && off + width <= 256 && off % width == 0);
    return get(i, off, width);
}

void pci_cfg_write(pci_addr_t a, unsigned off, unsigned width, uint32_t v)
{
    int i = fidx(a);
    CHECK(i >= 0 && off + width <= 256 && off % width == 0);
    const struct pci_func *f = &tab[i];
    if (f->class == 6 && f->subclass == 0)
        writes_host++;
    if (off != 0x04 && (get(i, 0x04, 2) & 3))
        writes_decoding++;
    for (unsigned k = 0; k < width; k++)
        cfg[i][off + k] = (uint8_t)(v >> (8 * k));
}

static void reset(void)
{
    memset(tab, 0, sizeof(tab));
    memset(cfg, 0, sizeof(cfg));
    ntab = 0;
    outlen = 0;
    out[0] = 0;
    writes_decoding = writes_host = 0;
}

static struct pci_func *add(unsigned bus, unsigned dev, uint8_t header)
{
    CHECK(ntab < PCI_MAX_FUNCS);
    struct pci_func *f = &tab[ntab++];
    *f = (struct pci_func){.addr = PCI_ADDR(0, bus, dev, 0), .header = header, .nbars = header ? 2 : 6,
                           .class = header ? 0x06 : 0x02, .subclass = header ? 0x04 : 0x00};
    return f;
}

static struct pci_func *add_bridge(unsigned bus, unsigned dev, unsigned sec)
{
    struct pci_func *f = add(bus, dev, PCI_HDR_BRIDGE);
    f->sec_bus = f->sub_bus = (uint8_t)sec;
    f->scanned = true;
    return f;
}

static void bar(struct pci_func *f, unsigned j, uint8_t flags, uint64_t size, uint64_t base)
{
    f->bar[j] = (struct pci_bar){.base = base, .size = size, .flags = flags};
}

/* A q35-like space; RAM is [0, ram). */
static void space_q35(uint64_t ram)
{
    space = (struct pci_space){.mem = {0xc0000000, 0xfec00000}, .io = {0xc000, 0x10000},
                               .keep_mem = {{ram, 0xfec00000}, {1ull << 32, 1ull << 39}},
                               .keep_io = {0x1000, 0x10000}};
    struct pci_range holes[] = {{0, ram}, {0xb0000000, 0xc0000000}, {0xfec00000, 0xfec01000},
                                {0xfed00000, 0xfed01000}, {0xfed90000, 0xfed91000}, {0xfee00000, 0xfef00000},
                                {0xff000000, 1ull << 32}};
    for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
        space.hole[space.nholes++] = holes[i];
}

/* ---- checking a placement */

static bool is_host(const struct pci_func *f) { return f->class == 6 && f->subclass == 0; }
static bool is_io(const struct pci_bar *b) { return b->flags & PCI_BAR_IO; }
static bool overlap(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t s2) { return b1 < b2 + s2 && b2 < b1 + s1; }
static bool within(uint64_t b, uint64_t s, uint64_t wb, uint64_t ws) { return wb <= b && b + s <= wb + ws; }

static int parent(unsigned i)
{
    for (unsigned j = 0; j < i; j++)
        if (tab[j].header == PCI_HDR_BRIDGE && tab[j].scanned && tab[j].sec_bus == PCI_BUS(tab[i].addr))
            return (int)j;
    return -1;
}

/* Whether function i is bridge b or behind it. */
static bool under(int i, int b)
{
    for (; i >= 0; i = parent((unsigned)i))
        if (i == b)
            return true;
    return false;
}

struct thing {                  /* something placed: a BAR or a window */
    uint64_t base, size;
    bool io, win;
    int fn;
};

static struct thing things[PCI_MAX_FUNCS * 8];

static void check_placement(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ntab; i++) {
        const struct pci_func *f = &tab[i];
        int p = parent(i);
        const struct pci_window *pw = p >= 0 ? tab[p].window : NULL;
        if (is_host(f)) {
            CHECK(memcmp(cfg[i], cfg_before[i], 256) == 0);
            for (unsigned j = 0; j < f->nbars; j++)
                if (f->bar[j].size && f->bar[j].base) {
                    CHECK(!f->bar[j].placed);
                    things[n++] = (struct thing){f->bar[j].base, f->bar[j].size, is_io(&f->bar[j]), false, (int)i};
                }
            continue;
        }
        bool missing[2] = {false, false};
        for (unsigned j = 0; j < f->nbars; j++) {
            const struct pci_bar *b = &f->bar[j];
            if (!b->size)
                continue;
            missing[is_io(b)] |= !b->placed;
            if (!b->placed) {
                CHECK(b->base == 0);
                continue;
            }
            CHECK(b->base && b->base % b->size == 0);
            if (pw) {
                const struct pci_window *w = &pw[is_io(b) ? PCI_WIN_IO : PCI_WIN_MEM];
                CHECK(w->placed && within(b->base, b->size, w->base, w->size));
            } else if (is_io(b)) {
                CHECK(within(b->base, b->size, space.keep_io.base, space.keep_io.end - space.keep_io.base));
            } else {
                bool in = false;
                for (unsigned k = 0; k < 2; k++)
                    in |= within(b->base, b->size, space.keep_mem[k].base,
                                 space.keep_mem[k].end - space.keep_mem[k].base);
                CHECK(in || within(b->base, b->size, space.mem.base, space.mem.end - space.mem.base));
            }
            things[n++] = (struct thing){b->base, b->size, is_io(b), false, (int)i};
        }
        for (unsigned k = 0; k < 2; k++) {
            const struct pci_window *w = &f->window[k];
            uint64_t grain = k == PCI_WIN_IO ? 0x1000 : 0x100000;
            if (pw && !pw[k].placed)
                CHECK(!w->placed);
            if (!w->placed) {
                CHECK(w->base == 0);
                continue;
            }
            CHECK(f->header == PCI_HDR_BRIDGE && w->size && w->base % grain == 0 && w->size % grain == 0);
            CHECK(!missing[k == PCI_WIN_IO]);
            const struct pci_range *r = k == PCI_WIN_IO ? &space.io : &space.mem;
            if (pw)
                CHECK(within(w->base, w->size, pw[k].base, pw[k].size));
            else
                CHECK(within(w->base, w->size, r->base, r->end - r->base));
            things[n++] = (struct thing){w->base, w->size, k == PCI_WIN_IO, true, (int)i};
        }
    }
    for (unsigned a = 0; a < n; a++) {
        const struct thing *x = &things[a];
        if (!x->io && !is_host(&tab[x->fn]))     /* a host bridge's BARs are as they were */
            for (unsigned h = 0; h < space.nholes; h++)
                CHECK(!overlap(x->base, x->size, space.hole[h].base, space.hole[h].end - space.hole[h].base));
        for (unsigned b = 0; b < a; b++) {
            const struct thing *y = &things[b];
            if (x->io != y->io || !overlap(x->base, x->size, y->base, y->size))
                continue;
            /* Only a window and what is behind it may overlap. */
            CHECK(x->fn != y->fn && ((y->win && under(x->fn, y->fn)) || (x->win && under(y->fn, x->fn))));
        }
    }
}

/* The registers agree with the table. */
static void check_registers(void)
{
    CHECK(writes_decoding == 0 && writes_host == 0);
    for (unsigned i = 0; i < ntab; i++) {
        const struct pci_func *f = &tab[i];
        if (is_host(f))
            continue;
        uint16_t cmd = (uint16_t)get((int)i, 0x04, 2), was = (uint16_t)(cfg_before[i][4] | cfg_before[i][5] << 8);
        CHECK((cmd & ~3u) == (was & ~3u));                  /* bus mastering and the rest as they were */
        unsigned have = 0, missing = 0;
        for (unsigned j = 0; j < f->nbars; j++) {
            const struct pci_bar *b = &f->bar[j];
            if (!b->size)
                continue;
            unsigned kind = is_io(b) ? 1 : 2;
            have |= kind;
            missing |= b->placed ? 0 : kind;
            CHECK(get((int)i, 0x10 + 4 * j, 4) == (uint32_t)b->base);
            if (b->flags & PCI_BAR_MEM64)
                CHECK(get((int)i, 0x14 + 4 * j, 4) == (uint32_t)(b->base >> 32));
        }
        if (f->header == PCI_HDR_BRIDGE) {
            const struct pci_window *m = &f->window[PCI_WIN_MEM], *io = &f->window[PCI_WIN_IO];
            uint64_t mb = (uint64_t)(get((int)i, 0x20, 2) & 0xfff0) << 16;
            uint64_t ml = (uint64_t)(get((int)i, 0x22, 2) | 0xf) << 16 | 0xffff;
            uint64_t ib = (get((int)i, 0x1c, 1) & 0xf0) << 8 | (uint64_t)get((int)i, 0x30, 2) << 16;
            uint64_t il = (get((int)i, 0x1d, 1) & 0xf0) << 8 | 0xfff | (uint64_t)get((int)i, 0x32, 2) << 16;
            CHECK(m->placed ? mb == m->base && ml == m->base + m->size - 1 : mb > ml);
            CHECK(io->placed ? ib == io->base && il == io->base + io->size - 1 : ib > il);
            uint64_t pb = (uint64_t)(get((int)i, 0x24, 2) & 0xfff0) << 16 | (uint64_t)get((int)i, 0x28, 4) << 32;
            uint64_t pl = (uint64_t)(get((int)i, 0x26, 2) | 0xf) << 16 | 0xffff | (uint64_t)get((int)i, 0x2c, 4) << 32;
            CHECK(pb > pl);                                 /* prefetchable: closed */
            CHECK(get((int)i, 0x38, 4) == 0);
            unsigned on = (have & ~missing) | (((m->placed ? 2 : 0) | (io->placed ? 1 : 0)) & ~missing);
            CHECK((cmd & 3) == on);
        } else if (have) {
            CHECK((cmd & have) == (have & ~missing));
            CHECK((cmd & 3 & ~have) == (was & 3 & ~have));    /* a kind without BARs: the firmware's */
            CHECK(get((int)i, 0x30, 4) == 0);
        } else {
            CHECK(cmd == was);
        }
    }
}

static void run(void)
{
    for (unsigned i = 0; i < ntab; i++) {
        if (!is_host(&tab[i]))
            continue;
        for (unsigned j = 0; j < tab[i].nbars; j++)
            tab[i].bar[j].placed = true;        /* the planner must clear this, not trust it */
    }
    memcpy(cfg_before, cfg, sizeof(cfg));
    pci_place();
    check_placement();
    check_registers();
}

/* ---- random trees */

static uint64_t pow2(unsigned lo, unsigned hi)
{
    return 1ull << (lo + rnd(hi - lo + 1));
}

static void random_bars(struct pci_func *f, unsigned max_log)
{
    for (unsigned j = 0; j < f->nbars; j++) {
        switch (rnd(5)) {
        case 0:
            bar(f, j, PCI_BAR_IO, pow2(2, 8), 0);
            break;
        case 1:
            bar(f, j, rnd(2) ? PCI_BAR_PREFETCH : 0, pow2(4, max_log), 0);
            break;
        case 2:
            if (j + 1 < f->nbars) {
                bar(f, j, PCI_BAR_MEM64 | (rnd(2) ? PCI_BAR_PREFETCH : 0), pow2(4, max_log), 0);
                j++;
            }
            break;
        default:
            break;
        }
    }
}

static unsigned next_bus;

static void random_bus(unsigned bus, unsigned depth, unsigned max_log)
{
    unsigned devs = 1 + (unsigned)rnd(6);
    for (unsigned d = 0; d < devs && ntab < PCI_MAX_FUNCS; d++) {
        if (depth < 4 && next_bus < 255 && rnd(4) == 0) {
            struct pci_func *b = add_bridge(bus, d, next_bus++);
            if (rnd(2))
                random_bars(b, 12);
            random_bus(b->sec_bus, depth + 1, max_log);
        } else {
            random_bars(add(bus, d, PCI_HDR_NORMAL), max_log);
        }
    }
}

/* A firmware's addresses for the root buses' BARs: some sane, some in RAM
 * or holes, some misaligned, some on top of each other. */
static void random_firmware(void)
{
    for (unsigned i = 0; i < ntab; i++) {
        for (unsigned j = 0; j < tab[i].nbars; j++) {
            struct pci_bar *b = &tab[i].bar[j];
            if (!b->size || rnd(2))
                continue;
            uint64_t s = b->size;
            switch (rnd(5)) {
            case 0: b->base = is_io(b) ? 0x1000 + rnd(0xf000) / s * s : 0xc0000000 + rnd(0x3ec00000) / s * s; break;
            case 1: b->base = rnd(0x10000000) / s * s; break;                   /* RAM */
            case 2: b->base = 0xfee00000; break;                                /* the local APIC */
            case 3: b->base = (is_io(b) ? 0xc000 : 0xd0000000) + 4; break;      /* misaligned */
            default: b->base = is_io(b) ? 0xc000 : 0xd0000000; break;           /* shared */
            }
        }
    }
}

static void test_random(void)
{
    for (seed = 1; seed <= 3000; seed++) {
        rng = seed * 0x9e3779b97f4a7c15ull;
        reset();
        next_bus = 1;
        bool roomy = seed % 3 != 0;
        if (rnd(3) == 0) {
            struct pci_func *h = add(0, 31, PCI_HDR_NORMAL);
            h->class = 6;
            h->subclass = 0;
            bar(h, 0, 0, 0x1000, 0xc0000000 + rnd(0x1000) * 0x1000);
            cfg[0][0x04] = 0x06;
        }
        random_bus(0, 0, roomy ? 16 : 24);
        space_q35(0x10000000);
        if (!roomy) {
            space.mem = (struct pci_range){0xc0000000, 0xc0000000 + pow2(20, 26)};
            space.io = (struct pci_range){0xc000, 0xc000 + pow2(8, 14)};
            for (unsigned k = 0; k < 3; k++) {
                uint64_t b = space.mem.base + rnd(space.mem.end - space.mem.base);
                space.hole[space.nholes++] = (struct pci_range){b, b + pow2(12, 20)};
            }
        }
        for (unsigned i = 0; i < ntab; i++)
            cfg[i][0x04] = (uint8_t)rnd(8);             /* bus mastering sometimes on */
        if (seed % 2)
            random_firmware();
        run();
        if (roomy && !(seed % 2)) {     /* memory for everything (ports: 4 bridges' worth) */
            for (unsigned i = 0; i < ntab; i++)
                for (unsigned j = 0; j < tab[i].nbars && !is_host(&tab[i]); j++)
                    CHECK(!tab[i].bar[j].size || is_io(&tab[i].bar[j]) || tab[i].bar[j].placed);
            CHECK(!strstr(out, "memory window ("));
        }
    }
    seed = 0;
}

/* ---- firmware assignments */

static void test_firmware(void)
{
    reset();
    space_q35(0x40000000);
    struct pci_func *f[10];
    for (unsigned i = 0; i < 10; i++)
        f[i] = add(0, i, PCI_HDR_NORMAL);
    bar(f[0], 0, 0, 1 << 20, 0x3ff00000);               /* in RAM */
    bar(f[1], 0, 0, 64 << 10, 0xd0000000);              /* these two overlap */
    bar(f[2], 0, 0, 1 << 20, 0xd0000000);
    bar(f[3], 0, 0, 4096, 0xe0000000);                  /* sane */
    bar(f[4], 0, 0, 4096, 0xe0000800);                  /* misaligned */
    bar(f[5], 0, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 16384, 0x800000000);  /* sane, above 4 GiB */
    bar(f[6], 0, PCI_BAR_IO, 256, 0xe000);              /* these two overlap */
    bar(f[7], 0, PCI_BAR_IO, 128, 0xe080);
    bar(f[8], 0, PCI_BAR_IO, 32, 0x0f00);               /* among the legacy ports */
    bar(f[9], 0, 0, 4096, 0xfee00000);                  /* the local APIC */
    bar(f[9], 1, PCI_BAR_IO, 64, 0xd000);               /* sane */
    struct pci_func *b = add_bridge(0, 10, 1);          /* behind a bridge: placed anew */
    struct pci_func *c = add(1, 0, PCI_HDR_NORMAL);
    bar(c, 0, 0, 4096, 0xe0100000);
    run();
    CHECK(f[3]->bar[0].base == 0xe0000000 && f[5]->bar[0].base == 0x800000000 && f[9]->bar[1].base == 0xd000);
    CHECK(f[0]->bar[0].base != 0x3ff00000 && f[1]->bar[0].base != 0xd0000000 && f[2]->bar[0].base != 0xd0000000);
    CHECK(f[4]->bar[0].base != 0xe0000800 && f[9]->bar[0].base != 0xfee00000);
    CHECK(f[6]->bar[0].base != 0xe000 && f[7]->bar[0].base != 0xe080 && f[8]->bar[0].base >= 0xc000);
    for (unsigned i = 0; i < 10; i++)
        CHECK(f[i]->bar[0].placed);
    CHECK(f[0]->bar[0].base == 0xc0000000);             /* largest first from the window's start */
    CHECK(b->window[PCI_WIN_MEM].placed && c->bar[0].placed && c->bar[0].base == b->window[PCI_WIN_MEM].base);
    CHECK(strstr(out, "12 of 12 BARs placed, 3 as the firmware had them"));
}

/* ---- too little room */

static void test_refusal(void)
{
    /* Three 512K BARs in a 1M window: two fit. */
    reset();
    space_q35(0x10000000);
    space.mem = (struct pci_range){0xc0000000, 0xc0100000};
    for (unsigned i = 0; i < 3; i++)
        bar(add(0, i, PCI_HDR_NORMAL), 0, 0, 512 << 10, 0);
    run();
    CHECK(tab[0].bar[0].base == 0xc0000000 && tab[1].bar[0].base == 0xc0080000 && !tab[2].bar[0].placed);
    CHECK(count("no room") == 1 && strstr(out, "pci 0000:00:02.0: no room for BAR 0 (80000 bytes)"));
    CHECK((get(2, 0x04, 2) & 2) == 0 && (get(1, 0x04, 2) & 2) == 2);

    /* 2M behind a bridge, nested, in a 1M window: the bridge says so once,
     * nothing behind it is placed, and its sibling still is. */
    reset();
    space_q35(0x10000000);
    space.mem = (struct pci_range){0xc0000000, 0xc0100000};
    add_bridge(0, 1, 1);
    bar(add(1, 0, PCI_HDR_NORMAL), 0, 0, 1 << 20, 0);
    add_bridge(1, 1, 2);
    bar(add(2, 0, PCI_HDR_NORMAL), 0, PCI_BAR_IO, 16, 0);
    bar(add(2, 1, PCI_HDR_NORMAL), 0, 0, 4096, 0);
    bar(add(0, 2, PCI_HDR_NORMAL), 0, 0, 4096, 0);
    run();
    CHECK(tab[0].window[PCI_WIN_MEM].size == 2 << 20 && !tab[0].window[PCI_WIN_MEM].placed);
    CHECK(!tab[1].bar[0].placed && !tab[4].bar[0].placed && tab[5].bar[0].placed);
    CHECK(tab[0].window[PCI_WIN_IO].placed && tab[3].bar[0].placed);   /* the I/O side is unaffected */
    CHECK(count("no room") == 1 && strstr(out, "pci 0000:00:01.0: no room for its memory window (200000 bytes)"));
    CHECK((get(0, 0x04, 2) & 3) == 1);

    /* The window fits but the bridge's own register BAR does not: the
     * bridge cannot decode memory, so its window closes. */
    reset();
    space_q35(0x10000000);
    space.mem = (struct pci_range){0xc0000000, 0xc0100000};
    bar(add_bridge(0, 1, 1), 0, 0, 4096, 0);
    bar(add(1, 0, PCI_HDR_NORMAL), 0, 0, 4096, 0);
    run();
    CHECK(!tab[0].bar[0].placed && !tab[0].window[PCI_WIN_MEM].placed && !tab[1].bar[0].placed);
    CHECK((get(0, 0x04, 2) & 2) == 0);

    /* Five bridges wanting ports: 4K each, 16K of ports, four fit. */
    reset();
    space_q35(0x10000000);
    for (unsigned i = 0; i < 5; i++) {
        add_bridge(0, i, i + 1);
        bar(add(i + 1, 0, PCI_HDR_NORMAL), 0, PCI_BAR_IO, 16, 0);
    }
    run();
    CHECK(count("no room") == 1 && !tab[8].window[PCI_WIN_IO].placed && !tab[9].bar[0].placed);
    CHECK(tab[0].window[PCI_WIN_IO].base == 0xc000 && tab[1].bar[0].base == 0xc000 && tab[7].bar[0].base == 0xf000);

    /* A BAR larger than the window, and one with a hostile size. */
    reset();
    space_q35(0x10000000);
    bar(add(0, 0, PCI_HDR_NORMAL), 0, PCI_BAR_MEM64, 1ull << 32, 0);
    bar(add(0, 1, PCI_HDR_NORMAL), 0, PCI_BAR_MEM64, 1ull << 63, 0xffffffff00000000);
    add_bridge(0, 2, 1);
    bar(add(1, 0, PCI_HDR_NORMAL), 0, PCI_BAR_MEM64, 1ull << 62, 0);
    bar(add(1, 1, PCI_HDR_NORMAL), 0, PCI_BAR_MEM64, 1ull << 62, 0);
    bar(add(0, 3, PCI_HDR_NORMAL), 0, 0, 4096, 0);
    run();
    CHECK(!tab[0].bar[0].placed && !tab[1].bar[0].placed && !tab[2].window[PCI_WIN_MEM].placed && tab[5].bar[0].placed);
}

/* ---- pci_mmio_owner */

static void test_owner(void)
{
    reset();
    space_q35(0x10000000);
    bar(add(0, 0, PCI_HDR_NORMAL), 0, 0, 1 << 20, 0);
    bar(add(0, 1, PCI_HDR_NORMAL), 2, 0, 4096, 0);
    bar(&tab[1], 3, PCI_BAR_IO, 64, 0);
    bar(add(0, 2, PCI_HDR_NORMAL), 0, 0, 1ull << 40, 0);   /* unplaced */
    run();
    const struct pci_func *f = NULL;
    unsigned b = 9;
    CHECK(tab[0].bar[0].base == 0xc0000000 && tab[1].bar[2].base == 0xc0100000);
    CHECK(pci_mmio_owner(0xc0000000, 1 << 20, &f, &b) && f == &tab[0] && b == 0);
    CHECK(pci_mmio_owner(0xc0100800, 8, &f, &b) && f == &tab[1] && b == 2);
    CHECK(!pci_mmio_owner(0xc00ff000, 0x2000, NULL, NULL));        /* straddles two */
    CHECK(!pci_mmio_owner(0xc0101000, 4096, NULL, NULL));          /* past the end */
    CHECK(!pci_mmio_owner(0, 4096, NULL, NULL));                   /* an unplaced BAR's 0 */
    CHECK(!pci_mmio_owner(tab[1].bar[3].base, 4, NULL, NULL));     /* I/O ports are not memory */
    CHECK(!pci_mmio_owner(0xc0000000, 0, NULL, NULL));
    CHECK(!pci_mmio_owner(0xc0000000, UINT64_MAX, NULL, NULL));
}

int main(void)
{
    test_random();
    test_firmware();
    test_refusal();
    test_owner();
    printf("pci_place: %d checks passed\n", checks);
    return 0;
}
