/*
 * Kernel self-test of the IOMMU (ktest=iommu), with QEMU's edu device
 * (-device edu,addr=2) as the DMA engine: it copies a page between RAM, at
 * a bus address, and its own 4 KiB buffer, through the IOMMU.  The bus
 * addresses used are the physical addresses of canary pages, so that only
 * the IOMMU stands between a blocked DMA and the canary: without
 * translation the write would land there.  Checked: DMA is blocked and
 * counted as a fault while nothing is attached; a mapped page is reached
 * through its I/O address; a read-only page is not written; an unmapped
 * page is unreachable even when its translation was just used (the IOTLB
 * invalidation); detach and destroy block again; domains give back every
 * page; the fault log stays bounded; interrupt remapping entries and the
 * remappable MSI format read back as programmed.
 */
#include <veneer/errors.h>
#include "arch.h"
#include "console.h"
#include "iommu.h"
#include "klib.h"
#include "ktest.h"
#include "lapic.h"
#include "pci.h"
#include "pmem.h"
#include "vm.h"

#define EDU_VENDOR    0x1234
#define EDU_DEVICE    0x11e8
#define EDU_ID        0x00      /* reads 0x010000ed */
#define EDU_LIVE      0x04      /* reads back the complement of what was written */
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD   0x98
#define EDU_CMD_RUN   0x1
#define EDU_CMD_TO_RAM 0x2
#define EDU_BUF       0x40000   /* edu's 4 KiB buffer, in edu's own addresses */
#define EDU_BYTES     2048      /* per DMA: QEMU 7.2 refuses (aborts on) a whole 4 KiB */
#define CFG_COMMAND   0x04
#define CMD_MEM       0x2
#define CMD_MASTER    0x4
#define DMA_LIMIT     (1ul << 28)   /* edu masks bus addresses to 28 bits */

static volatile uint8_t *edu;

static uint32_t edu_r32(unsigned off) { return *(volatile uint32_t *)(edu + off); }
static void edu_w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(edu + off) = v; }
static void edu_w64(unsigned off, uint64_t v) { *(volatile uint64_t *)(edu + off) = v; }

/* Copy EDU_BYTES between RAM at bus address iova and edu's buffer (to
 * RAM if to_ram); false if edu never finished (it starts 100 ms after). */
static bool edu_dma(uint64_t iova, bool to_ram)
{
    edu_w64(to_ram ? EDU_DMA_SRC : EDU_DMA_DST, EDU_BUF);
    edu_w64(to_ram ? EDU_DMA_DST : EDU_DMA_SRC, iova);
    edu_w64(EDU_DMA_COUNT, EDU_BYTES);
    edu_w64(EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
    for (uint64_t t = arch_tsc(); edu_r32(EDU_DMA_CMD) & EDU_CMD_RUN;)
        if (arch_tsc() - t > 5 * arch_tsc_hz())
            return false;
    return true;
}

/* Fill page pa with a pattern made from seed; whether its first n bytes
 * hold it (n: the page, or what one DMA copied). */
static void pattern(paddr_t pa, uint8_t seed)
{
    uint8_t *b = P2V(pa);
    for (unsigned i = 0; i < PAGE_SIZE; i++)
        b[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

static bool pattern_ok(paddr_t pa, uint8_t seed, unsigned n)
{
    const uint8_t *b = P2V(pa);
    for (unsigned i = 0; i < n; i++)
        if (b[i] != (uint8_t)(i * 7 + seed + (i >> 8)))
            return false;
    return true;
}

/* Whether the DMA edu just did raised exactly n more faults for a. */
static bool faulted(pci_addr_t a, uint64_t *count, uint64_t n)
{
    iommu_fault_serve();
    uint64_t now = iommu_fault_count(a);
    bool ok = now == *count + n;
    *count = now;
    return ok;
}

/* edu's function, with memory decoding and bus mastering on; NULL if absent. */
static const struct pci_func *edu_setup(void)
{
    const struct pci_func *f = NULL;
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (pci_func_get(i)->vendor == EDU_VENDOR && pci_func_get(i)->device == EDU_DEVICE)
            f = pci_func_get(i);
    if (!f)
        return NULL;
    uint64_t bar = f->bar[0].base;
    if (!f->bar[0].placed)
        return NULL;
    pci_cfg_write16(f->addr, CFG_COMMAND, pci_cfg_read16(f->addr, CFG_COMMAND) | CMD_MEM | CMD_MASTER);
    if (vm_kernel_map_mmio(bar, 1u << 20) < 0)
        return NULL;
    edu = P2V(bar);
    return f;
}

static int ktest_iommu_irte(pci_addr_t a)
{
    static unsigned all[256];
    unsigned h, n = 0;
    uint64_t e[2], addr;
    uint32_t data;
    CHECK(iommu_intremap());
    CHECK(iommu_irte_alloc((uint16_t)a, &h) == 0);
    iommu_irte_read(h, e);
    CHECK(e[0] == 0 && e[1] == (1ul << 18 | (a & 0xffff)));        /* not present; SVT 1, SQ 0, SID */
    iommu_irte_set(h, 1, 0x41);
    iommu_irte_read(h, e);
    CHECK(e[0] == (1ul << 40 | 0x41ul << 16 | 1) && e[1] == (1ul << 18 | (a & 0xffff)));
    iommu_irte_set(h, 3, 0x42);
    iommu_irte_read(h, e);
    CHECK(e[0] == (3ul << 40 | 0x42ul << 16 | 1));                  /* edge, the source kept */
    CHECK(e[1] == (1ul << 18 | (a & 0xffff)));
    iommu_msi_message(h, &addr, &data);
    CHECK((addr & 0xfff00000) == 0xfee00000 && (addr & 0x10) && !(addr & 0x8) && data == 0);
    CHECK(((addr >> 5 & 0x7fff) | (addr >> 2 & 1) << 15) == (h & 0xffff));
    CHECK(iommu_irte_alloc(0x4200, &all[0]) == -E_NODEV);        /* bus 0x42: no unit */
    CHECK(iommu_irte_alloc(0xff00, &all[0]) == 0);               /* the I/O APIC's scope (ff:00.0) */
    for (n = 1; n < 256 && iommu_irte_alloc((uint16_t)a, &all[n]) == 0; n++)
        continue;
    CHECK(n == 255);                                            /* with h: the table's 256 */
    CHECK(iommu_irte_alloc((uint16_t)a, &all[255]) == -E_NOSPC);
    while (n)
        iommu_irte_free(all[--n]);
    iommu_irte_free(h);
    CHECK(iommu_irte_alloc((uint16_t)a, &all[0]) == 0);
    iommu_irte_read(all[0], e);
    CHECK(e[0] == 0);
    iommu_irte_free(all[0]);
    return 0;
}

int ktest_iommu(void)
{
    const struct pci_func *f = edu_setup();
    CHECK(f != NULL);
    pci_addr_t a = f->addr;
    CHECK(edu_r32(EDU_ID) == 0x010000ed);
    edu_w32(EDU_LIVE, 0x12345678);
    CHECK(edu_r32(EDU_LIVE) == ~0x12345678u);
    CHECK(iommu_covers(a) && !iommu_covers(PCI_ADDR(0, 0x42, 0, 0)));
    CHECK(iommu_iova_limit() == 1ul << 39);
    uint64_t fe_addr;
    uint32_t fe_data;
    bool fe_masked;
    CHECK(iommu_fault_event(&fe_addr, &fe_data, &fe_masked));
    CHECK(fe_data == VEC_IOMMU_FAULT && fe_addr == (0xfee00000u | lapic_id() << 12) && !fe_masked);

    uint64_t free0 = page_free_count();
    paddr_t p = page_alloc(), q = page_alloc(), r = page_alloc();
    paddr_t s1 = page_alloc(), s2 = page_alloc(), s3 = page_alloc();     /* canaries and bus addresses */
    CHECK(p && q && r && s1 && s2 && s3);
    CHECK(s1 < DMA_LIMIT && s2 < DMA_LIMIT && s3 < DMA_LIMIT);
    pattern(s1, 0xc1);
    pattern(s2, 0xc2);
    pattern(s3, 0xc3);
    iommu_fault_serve();
    uint64_t faults = iommu_fault_count(a), before;

    /* 1. Nothing attached: edu's write to s1's address is blocked. */
    CHECK(edu_dma(s1, true));
    CHECK(faulted(a, &faults, 1));
    CHECK(pattern_ok(s1, 0xc1, PAGE_SIZE));

    /* 2. Attached, p at iova s1 and q at iova s2: a round trip p -> edu -> q. */
    struct iommu_domain *d;
    uint64_t free1 = page_free_count();
    CHECK(iommu_domain_create(NULL, &d) == 0);
    CHECK(iommu_map(d, s1, p, true) == 0 && iommu_map(d, s2, q, true) == 0);
    CHECK(iommu_map(d, s1, r, true) == -E_INVAL);                       /* already mapped */
    CHECK(iommu_map(d, s3 + 8, r, true) == -E_INVAL && iommu_map(d, s3, r + 8, true) == -E_INVAL);
    CHECK(iommu_map(d, iommu_iova_limit(), r, true) == -E_INVAL);
    paddr_t pa;
    bool w;
    CHECK(iommu_lookup(d, s1 + 5, &pa, &w) == 0 && pa == p + 5 && w);
    CHECK(iommu_lookup(d, s3, &pa, &w) == -E_NOENT && iommu_unmap(d, s3, &pa) == -E_NOENT);
    CHECK(iommu_lookup(d, iommu_iova_limit() + s1, &pa, &w) == -E_NOENT);
    CHECK(iommu_attach(d, PCI_ADDR(0, 0x42, 0, 0)) == -E_NODEV);
    CHECK(iommu_attach(d, a) == 0);
    pattern(p, 1);
    memset(P2V(q), 0, PAGE_SIZE);
    CHECK(edu_dma(s1, false) && edu_dma(s2, true));
    CHECK(faulted(a, &faults, 0));
    CHECK(pattern_ok(q, 1, EDU_BYTES) && pattern_ok(p, 1, PAGE_SIZE));
    CHECK(pattern_ok(s1, 0xc1, PAGE_SIZE) && pattern_ok(s2, 0xc2, PAGE_SIZE));

    /* 3. r at iova s3, read-only: edu reads it, and its write faults. */
    pattern(r, 2);
    CHECK(iommu_map(d, s3, r, false) == 0);
    CHECK(iommu_lookup(d, s3, &pa, &w) == 0 && pa == r && !w);
    CHECK(edu_dma(s3, true));                   /* edu holds pattern 1 */
    CHECK(faulted(a, &faults, 1));
    CHECK(pattern_ok(r, 2, PAGE_SIZE) && pattern_ok(s3, 0xc3, PAGE_SIZE));
    CHECK(edu_dma(s3, false) && edu_dma(s2, true));
    CHECK(faulted(a, &faults, 0));
    CHECK(pattern_ok(q, 2, EDU_BYTES));

    /* 4. Unmapped right after a DMA through it (cached): unreachable. */
    CHECK(iommu_unmap(d, s2, &pa) == 0 && pa == q);
    CHECK(iommu_unmap(d, s2, &pa) == -E_NOENT);
    pattern(q, 3);
    CHECK(edu_dma(s2, true));
    CHECK(faulted(a, &faults, 1));
    CHECK(pattern_ok(q, 3, PAGE_SIZE) && pattern_ok(s2, 0xc2, PAGE_SIZE));

    /* 5. Detached: blocked again, with p still mapped. */
    iommu_detach(a);
    iommu_detach(a);                            /* a second detach does nothing */
    CHECK(edu_dma(s1, true));
    CHECK(faulted(a, &faults, 1));
    CHECK(pattern_ok(p, 1, PAGE_SIZE) && pattern_ok(s1, 0xc1, PAGE_SIZE));

    /* 6. Destroying the domain gives back its table pages (and the
     * context table went with the detach). */
    CHECK(iommu_unmap(d, s1, &pa) == 0 && pa == p);
    CHECK(iommu_unmap(d, s3, &pa) == 0 && pa == r);
    before = page_free_count();
    iommu_domain_destroy(d);
    CHECK(page_free_count() >= before + 3);     /* root, middle and at least one leaf table */
    CHECK(page_free_count() == free1);

    /* 7. Attach replaces: d1 then d2; destroying d2 detaches edu. */
    struct iommu_domain *d1, *d2;
    CHECK(iommu_domain_create(NULL, &d1) == 0 && iommu_domain_create(NULL, &d2) == 0);
    CHECK(iommu_map(d1, s1, p, true) == 0 && iommu_map(d2, s2, q, true) == 0);
    CHECK(iommu_attach(d1, a) == 0 && iommu_attach(d2, a) == 0);
    CHECK(edu_dma(s1, true));                   /* d1's mapping is not d2's */
    CHECK(faulted(a, &faults, 1));
    CHECK(pattern_ok(p, 1, PAGE_SIZE) && pattern_ok(s1, 0xc1, PAGE_SIZE));
    CHECK(edu_dma(s2, true));                   /* d2's is; edu still holds pattern 2 */
    CHECK(faulted(a, &faults, 0));
    CHECK(pattern_ok(q, 2, EDU_BYTES));
    CHECK(iommu_unmap(d2, s2, &pa) == 0 && pa == q);
    iommu_domain_destroy(d2);
    CHECK(iommu_map(d1, s2, q, true) == 0);
    pattern(q, 4);
    CHECK(edu_dma(s2, true));                   /* not attached to d1 any more either */
    CHECK(faulted(a, &faults, 1));
    CHECK(pattern_ok(q, 4, PAGE_SIZE) && pattern_ok(s2, 0xc2, PAGE_SIZE));
    CHECK(iommu_unmap(d1, s1, &pa) == 0 && iommu_unmap(d1, s2, &pa) == 0);
    iommu_domain_destroy(d1);
    CHECK(page_free_count() == free1);

    /* 8. A device that keeps faulting: 16 lines, then one saying so. */
    for (unsigned i = 0; i < 17; i++) {
        CHECK(edu_dma(s3, true));
        CHECK(faulted(a, &faults, 1));
    }
    CHECK(pattern_ok(s3, 0xc3, PAGE_SIZE));

    page_free(p);
    page_free(q);
    page_free(r);
    page_free(s1);
    page_free(s2);
    page_free(s3);
    CHECK(page_free_count() == free0);
    if (ktest_iommu_irte(a) < 0)
        return -1;
    kprintf("ktest iommu: %lu faults for %02x:%02x.%x, all DMA outside its domain blocked\n", faults, PCI_BUS(a),
            PCI_DEV(a), PCI_FN(a));
    return 0;
}
