/*
 * Host unit test of PCI enumeration (kernel/pci.c)
 * under ASan/UBSan, against a fake config space that behaves like devices
 * do: BARs keep only their writable address bits, and the fake checks that
 * no BAR is written while the function decodes.  Covered: BAR sizing (I/O,
 * 32-bit, 64-bit above 4 GiB, prefetchable, unimplemented, a 64-bit BAR in
 * the last slot) and that every register is restored; capability lists
 * normal, cyclic, pointing into the header and endless; extended lists and
 * SR-IOV, and that they are not read without ECAM; multi-function rules;
 * bridge recursion bounded by depth, loops and duplicate secondary buses;
 * the full table; the inventory lines, after placement (kernel/pci_place.c,
 * tested on its own in test_pci_place.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pci.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

/* ---- the fake config space */

#define MAX_FAKE 256

struct fake {
    pci_addr_t addr;
    uint8_t cfg[4096];
    uint32_t bar_mask[6];       /* writable bits of each BAR dword (0: not implemented) */
    unsigned vf_bar;            /* SR-IOV VF BAR0 offset (0: none) and its two dwords' writable bits */
    uint32_t vf_mask[2];
};

static struct fake fakes[MAX_FAKE];
static unsigned nfakes;
static unsigned long reads, bar_writes_decoding, stray_writes;

static struct fake *fake_find(pci_addr_t a)
{
    for (unsigned i = 0; i < nfakes; i++)
        if (fakes[i].addr == a)
            return &fakes[i];
    return NULL;
}

static void put(struct fake *f, unsigned off, unsigned width, uint32_t v)
{
    for (unsigned i = 0; i < width; i++)
        f->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const struct fake *f, unsigned off, unsigned width)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)f->cfg[off + i] << (8 * i);
    return v;
}

uint32_t pci_cfg_read(pci_addr_t a, unsigned off, unsigned width)
{
    reads++;
    CHECK((width == 1 || width == 2 || width == 4) && off % width == 0 && off + width <= 4096);
    struct fake *f = fake_find(a);
    return f ? get(f, off, width) : width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

void pci_cfg_write(pci_addr_t a, unsigned off, unsigned width, uint32_t v)
{
    CHECK((width == 1 || width == 2 || width == 4) && off % width == 0 && off + width <= 4096);
    struct fake *f = fake_find(a);
    if (!f) {
        stray_writes++;
        return;
    }
    unsigned nbars = (f->cfg[0x0e] & 0x7f) == 0 ? 6 : (f->cfg[0x0e] & 0x7f) == 1 ? 2 : 0;
    if (off >= 0x10 && off < 0x10 + 4 * nbars) {
        CHECK(width == 4);
        unsigned i = (off - 0x10) / 4;
        bool host = f->cfg[0x0b] == 6 && f->cfg[0x0a] == 0;
        if ((get(f, 0x04, 2) & 3) && !host)
            bar_writes_decoding++;
        uint32_t m = f->bar_mask[i];
        put(f, off, 4, (v & m) | (get(f, off, 4) & ~m));
        return;
    }
    if (f->vf_bar && (off == f->vf_bar || off == f->vf_bar + 4)) {   /* VF BAR0 sizing */
        CHECK(width == 4);
        uint32_t m = f->vf_mask[(off - f->vf_bar) / 4];
        put(f, off, 4, (v & m) | (get(f, off, 4) & ~m));
        return;
    }
    if (off == 0x04 || off == 0x06 || off == 0x0c || off == 0x3c) {
        put(f, off, width, v);
        return;
    }
    stray_writes++;             /* enumeration writes nothing else */
}

/* A function with identity, class and header type; BARs and caps added after. */
static struct fake *fake_add(unsigned bus, unsigned dev, unsigned fn, uint16_t vendor, uint16_t device,
                             uint32_t class_rev, uint8_t header)
{
    CHECK(nfakes < MAX_FAKE);
    struct fake *f = &fakes[nfakes++];
    memset(f, 0, sizeof(*f));
    f->addr = PCI_ADDR(0, bus, dev, fn);
    put(f, 0x00, 2, vendor);
    put(f, 0x02, 2, device);
    put(f, 0x08, 4, class_rev);
    f->cfg[0x0e] = header;
    return f;
}

/* BAR i: flags are the read-only low bits, size a power of two. */
static void fake_bar(struct fake *f, unsigned i, uint32_t low_bits, uint64_t size, uint64_t base)
{
    bool io = low_bits & 1, b64 = !io && ((low_bits >> 1) & 3) == 2;
    uint64_t mask = ~(size - 1) & (io ? ~3ull : ~0xfull);
    f->bar_mask[i] = (uint32_t)mask;
    put(f, 0x10 + 4 * i, 4, (uint32_t)(base & mask) | low_bits);
    if (b64 && i + 1 < 6) {
        f->bar_mask[i + 1] = (uint32_t)(mask >> 32);
        put(f, 0x14 + 4 * i, 4, (uint32_t)(base >> 32));
    }
}

/* Link a capability at off with the given id into f's list (at the head). */
static void fake_cap(struct fake *f, unsigned off, uint8_t id)
{
    f->cfg[off] = id;
    f->cfg[off + 1] = f->cfg[0x34];
    f->cfg[0x34] = (uint8_t)off;
    put(f, 0x06, 2, get(f, 0x06, 2) | 0x10);
}

static void fake_reset(void)
{
    nfakes = 0;
    reads = bar_writes_decoding = stray_writes = 0;
}

static struct pci_platform one_segment(bool ecam)
{
    return (struct pci_platform){.nseg = 1, .seg = {{0, 0, 255, ecam}}};
}

static const struct pci_func *find(unsigned bus, unsigned dev, unsigned fn)
{
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (pci_func_get(i)->addr == PCI_ADDR(0, bus, dev, fn))
            return pci_func_get(i);
    return NULL;
}

/* ---- kprintf into a buffer, so the inventory can be checked */

#include "kprintf_capture.h"

static struct pci_platform platform;
void pci_platform_init(struct pci_platform *p)
{
    *p = platform;
}

/* pci_init programs the IOMMU once the functions are known. */
static unsigned iommu_inits, funcs_at_iommu_init;
void iommu_init(void)
{
    iommu_inits++;
    funcs_at_iommu_init = pci_func_count();
}

/* A q35-like space: the window above ECAM, nothing else in the way. */
void pci_platform_space(struct pci_space *s)
{
    *s = (struct pci_space){.mem = {0xc0000000, 0xfec00000}, .io = {0xc000, 0x10000},
                            .keep_mem = {{0x10000000, 0xfec00000}}, .keep_io = {0x1000, 0x10000},
                            .nholes = 1, .hole = {{0, 0x10000000}}};
}

/* ---- tests */

static void test_bars(void)
{
    fake_reset();
    struct fake *h = fake_add(0, 0, 0, 0x8086, 0x29c0, 0x06000000, 0);
    fake_bar(h, 0, 0, 4096, 0xfe000000);            /* a host bridge BAR: sized with decoding on */
    put(h, 0x04, 2, 0x0006);
    struct fake *f = fake_add(0, 2, 0, 0x1234, 0x11e8, 0x00ff0010, 0);
    fake_bar(f, 0, 0x1, 32, 0xc000);                /* I/O, 32 ports */
    fake_bar(f, 1, 0x0, 4096, 0xfeb00000);          /* mem32 */
    fake_bar(f, 2, 0xc, 16ull << 30, 0x800000000);  /* mem64, prefetchable, 16 GiB at 32 GiB */
    fake_bar(f, 5, 0x4, 1 << 20, 0);                /* mem64 in the last slot: broken, ignored */
    put(f, 0x04, 2, 0x0407);                        /* io, mem, bus master, INTx disable */
    uint8_t before[4096];
    memcpy(before, f->cfg, sizeof(before));
    struct pci_platform p = one_segment(true);
    CHECK(pci_enumerate(&p) == 2);
    const struct pci_func *r = find(0, 2, 0);
    CHECK(r && r->vendor == 0x1234 && r->device == 0x11e8 && r->class == 0 && r->subclass == 0xff &&
          r->revision == 0x10 && r->nbars == 6);
    CHECK(r->bar[0].flags == PCI_BAR_IO && r->bar[0].size == 32 && r->bar[0].base == 0xc000);
    CHECK(r->bar[1].flags == 0 && r->bar[1].size == 4096 && r->bar[1].base == 0xfeb00000);
    CHECK(r->bar[2].flags == (PCI_BAR_MEM64 | PCI_BAR_PREFETCH) && r->bar[2].size == 16ull << 30 &&
          r->bar[2].base == 0x800000000);
    CHECK(r->bar[3].size == 0 && r->bar[4].size == 0 && r->bar[5].size == 0);
    CHECK(memcmp(before, f->cfg, sizeof(before)) == 0);     /* every register restored */
    CHECK(bar_writes_decoding == 0 && stray_writes == 0);
    const struct pci_func *hb = find(0, 0, 0);
    CHECK(hb && hb->bar[0].size == 4096 && get(h, 0x04, 2) == 0x0006);
}

static void test_caps(void)
{
    fake_reset();
    struct fake *f = fake_add(0, 3, 0, 0x1af4, 0x1041, 0x02000001, 0);
    fake_cap(f, 0x40, 0x01);                        /* PM */
    fake_cap(f, 0x50, 0x05);                        /* MSI: 64-bit, 4 vectors capable */
    put(f, 0x52, 2, 0x0084);
    fake_cap(f, 0x60, 0x11);                        /* MSI-X: 3 entries, table bar1+0, PBA bar1+0x800 */
    put(f, 0x62, 2, 2);
    put(f, 0x64, 4, 0x1);
    put(f, 0x68, 4, 0x801);
    fake_cap(f, 0x70, 0x10);                        /* PCIe endpoint with FLR */
    put(f, 0x72, 2, 0x0002);
    put(f, 0x74, 4, 1u << 28);
    fake_cap(f, 0x84, 0x09);                        /* vendor */
    put(f, 0x100, 4, 0x0001 | 1 << 16 | 0x160 << 20);  /* AER, then SR-IOV at 0x160 */
    put(f, 0x160, 4, 0x0010 | 1 << 16);
    put(f, 0x16e, 2, 7);                            /* TotalVFs */
    put(f, 0x174, 2, 1);                            /* VF offset */
    put(f, 0x176, 2, 2);                            /* VF stride */
    put(f, 0x17a, 2, 0x10ff);                       /* VF device id */
    f->vf_bar = 0x184;                              /* VF BAR0: 64-bit, 16 KiB per VF */
    f->vf_mask[0] = ~0x3fffu;
    f->vf_mask[1] = 0xffffffffu;
    put(f, 0x184, 4, 0x4);

    struct fake *c = fake_add(0, 4, 0, 0x1b36, 0x0005, 0x00ff0000, 0);
    fake_cap(c, 0x50, 0x05);                        /* a cycle: 0x40 -> 0x50 -> 0x40 */
    fake_cap(c, 0x40, 0x10);
    c->cfg[0x51] = 0x40;
    put(c, 0x100, 4, 0x0010 | 0x100 << 20);         /* the extended list points at itself */

    struct fake *b = fake_add(0, 5, 0, 0x1b36, 0x0006, 0x00ff0000, 0);
    fake_cap(b, 0x40, 0x05);                        /* the next pointer goes into the header */
    b->cfg[0x41] = 0x10;
    struct fake *e = fake_add(0, 6, 0, 0x1b36, 0x0007, 0x00ff0000, 0);
    fake_cap(e, 0xfc, 0x05);                        /* 0xfc -> 0xfc: an endless list */
    e->cfg[0xfd] = 0xff;                            /* masked to 0xfc */

    struct pci_platform p = one_segment(true);
    unsigned long r0 = reads;
    CHECK(pci_enumerate(&p) == 4);
    CHECK(reads - r0 < 4 * 600);                    /* bounded walks */
    const struct pci_func *r = find(0, 3, 0);
    CHECK(r->caps == (PCI_CAP_PM | PCI_CAP_MSI | PCI_CAP_MSIX | PCI_CAP_PCIE | PCI_CAP_VENDOR | PCI_CAP_AER |
                      PCI_CAP_SRIOV));
    CHECK(r->pm_off == 0x40 && r->msi_off == 0x50 && r->msix_off == 0x60 && r->pcie_off == 0x70);
    CHECK(r->msi_ctrl == 0x0084);
    CHECK(r->msix_size == 3 && r->msix_table_bar == 1 && r->msix_table_off == 0 && r->msix_pba_bar == 1 &&
          r->msix_pba_off == 0x800);
    CHECK(r->pcie_type == 0 && r->flr);
    CHECK(r->sriov_off == 0x160 && r->sriov_total_vfs == 7 && r->sriov_vf_offset == 1 && r->sriov_vf_stride == 2 &&
          r->sriov_vf_device == 0x10ff);
    CHECK(r->sriov_vf_size == 0x4000 && r->sriov_bar.size == 7 * 0x4000 && (r->sriov_bar.flags & PCI_BAR_MEM64));
    CHECK(get(f, 0x184, 4) == 0x4 && get(f, 0x188, 4) == 0);    /* restored after sizing */
    r = find(0, 4, 0);
    CHECK((r->caps & PCI_CAP_BROKEN) && (r->caps & PCI_CAP_MSI) && (r->caps & PCI_CAP_PCIE));
    CHECK((r->caps & PCI_CAP_SRIOV) && r->sriov_off == 0x100);  /* recorded once, then the cycle is cut */
    CHECK(find(0, 5, 0)->caps == (PCI_CAP_MSI | PCI_CAP_BROKEN));
    CHECK(find(0, 6, 0)->caps == (PCI_CAP_MSI | PCI_CAP_BROKEN));

    /* Without ECAM the extended space is not read. */
    p = one_segment(false);
    CHECK(pci_enumerate(&p) == 4);
    CHECK(!(find(0, 3, 0)->caps & (PCI_CAP_SRIOV | PCI_CAP_AER)) && (find(0, 3, 0)->caps & PCI_CAP_MSIX));
    CHECK(stray_writes == 0);
}

static void test_multifunction(void)
{
    fake_reset();
    fake_add(0, 1, 0, 0x8086, 0x7000, 0x06010000, 0x80);    /* multi-function: 0, 3 and 7 */
    fake_add(0, 1, 3, 0x8086, 0x7113, 0x06800003, 0);
    fake_add(0, 1, 7, 0x8086, 0x7114, 0x06800003, 0);
    fake_add(0, 2, 0, 0x1234, 0x1111, 0x03000002, 0);       /* single: function 1 must be ignored */
    fake_add(0, 2, 1, 0x1234, 0x1112, 0x03000002, 0);
    fake_add(0, 3, 1, 0x1234, 0x1113, 0x03000002, 0);       /* no function 0: no device */
    fake_add(0, 4, 0, 0x0000, 0x0000, 0x00000000, 0);       /* vendor 0: absent */
    struct pci_platform p = one_segment(true);
    CHECK(pci_enumerate(&p) == 4);
    CHECK(find(0, 1, 0) && find(0, 1, 3) && find(0, 1, 7) && find(0, 2, 0));
    CHECK(!find(0, 2, 1) && !find(0, 3, 1) && !find(0, 4, 0));
}

/* Bridge at bus:dev.0 to secondary sec (subordinate sub). */
static struct fake *fake_bridge(unsigned bus, unsigned dev, unsigned sec, unsigned sub)
{
    struct fake *f = fake_add(bus, dev, 0, 0x1b36, 0x000c, 0x06040000, 1);
    f->cfg[0x18] = (uint8_t)bus;
    f->cfg[0x19] = (uint8_t)sec;
    f->cfg[0x1a] = (uint8_t)sub;
    return f;
}

static void test_bridges(void)
{
    /* A chain of 40 bridges, each one bus down: only PCI_MAX_DEPTH are followed. */
    fake_reset();
    for (unsigned b = 0; b < 40; b++)
        fake_bridge(b, 1, b + 1, 40);
    struct pci_platform p = one_segment(true);
    CHECK(pci_enumerate(&p) == PCI_MAX_DEPTH + 1);
    CHECK(find(PCI_MAX_DEPTH, 1, 0) && !find(PCI_MAX_DEPTH + 1, 1, 0));

    /* Loops and duplicates: bridges back to bus 0, to their own bus, to a
     * bus another bridge already leads to, beyond the segment, and one the
     * firmware left unnumbered. */
    fake_reset();
    fake_bridge(0, 1, 1, 1);
    fake_add(1, 0, 0, 0x1af4, 0x1041, 0x02000001, 0);
    fake_bridge(1, 2, 0, 0);            /* back to the root bus (and unnumbered) */
    fake_bridge(1, 3, 1, 1);            /* to its own bus */
    fake_bridge(0, 2, 1, 1);            /* a second way to bus 1 */
    fake_bridge(0, 3, 0x30, 0x30);      /* beyond the segment's last bus */
    fake_add(0x30, 0, 0, 0x1af4, 0x1042, 0x01000001, 0);
    p = (struct pci_platform){.nseg = 1, .seg = {{0, 0, 0x1f, true}}};
    CHECK(pci_enumerate(&p) == 6);
    for (unsigned i = 0; i < pci_func_count(); i++)
        for (unsigned j = 0; j < i; j++)
            CHECK(pci_func_get(i)->addr != pci_func_get(j)->addr);
    CHECK(find(1, 0, 0) && !find(0x30, 0, 0));
    CHECK(find(1, 2, 0)->sec_bus == 0 && find(0, 1, 0)->sec_bus == 1 && find(0, 1, 0)->sub_bus == 1);
}

static void test_table_full(void)
{
    fake_reset();
    for (unsigned d = 0; d < 10; d++)   /* 10 devices of 8 functions: 80 */
        for (unsigned fn = 0; fn < 8; fn++)
            fake_add(0, d, fn, 0x8086, (uint16_t)(d * 8 + fn), 0x02000000, fn == 0 ? 0x80 : 0);
    struct pci_platform p = one_segment(true);
    CHECK(pci_enumerate(&p) == PCI_MAX_FUNCS);
    CHECK(pci_funcs_refused() == 80 - PCI_MAX_FUNCS);
    CHECK(pci_func_get(PCI_MAX_FUNCS) == NULL);
    outlen = 0;
    pci_print_inventory();
    CHECK(strstr(out, "pci: 64 functions, 16 more refused (the table holds 64)"));
}

static void test_inventory(void)
{
    fake_reset();
    fake_add(0, 0, 0, 0x8086, 0x29c0, 0x06000000, 0);
    struct fake *f = fake_add(0, 3, 0, 0x1af4, 0x1041, 0x02000001, 0);
    fake_bar(f, 1, 0, 4096, 0xfea00000);
    fake_bar(f, 4, 0xc, 16384, 0);
    f->cfg[0x3d] = 1;
    f->cfg[0x3c] = 10;
    fake_cap(f, 0x60, 0x11);
    put(f, 0x62, 2, 2);
    put(f, 0x64, 4, 0x1);
    put(f, 0x68, 4, 0x801);
    fake_bridge(0, 4, 0, 0);
    platform = one_segment(true);
    outlen = 0;
    iommu_inits = 0;
    pci_init();
    CHECK(iommu_inits == 1 && funcs_at_iommu_init == 3);
    CHECK(strstr(out, "pci 0000:00:00.0 8086:29c0 rev 00 class 0600\n"));
    CHECK(strstr(out, "pci 0000:00:03.0 1af4:1041 rev 01 class 0200\n"));
    /* The firmware's BAR is kept, the unassigned one placed. */
    const struct pci_func *nic = pci_func_by_addr(PCI_ADDR(0, 0, 3, 0));
    CHECK(nic && nic->bar[1].base == 0xfea00000 && nic->bar[4].base == 0xc0000000 && nic->bar[4].size == 16384);
    CHECK(nic->msix_size == 3 && nic->msix_table_bar == 1 && nic->msix_pba_off == 0x800);
    CHECK(strstr(out, "pci: memory window c0000000-fec00000, ports c000-10000: "
                      "2 of 2 BARs placed, 1 as the firmware had them\n"));
    CHECK(get(f, 0x14, 4) == 0xfea00000 && get(f, 0x20, 4) == 0xc000000c && get(f, 0x24, 4) == 0);
    CHECK((get(f, 0x04, 2) & 7) == 2);      /* memory decoding on; I/O and bus mastering not */
    CHECK(strstr(out, "pci 0000:00:04.0 1b36:000c rev 00 class 0604 bridge, buses unassigned\n"));
    CHECK(strstr(out, "pci: 3 functions\n"));
}

int main(void)
{
    test_bars();
    test_caps();
    test_multifunction();
    test_bridges();
    test_table_full();
    test_inventory();
    printf("pci: %d checks passed\n", checks);
    return 0;
}
