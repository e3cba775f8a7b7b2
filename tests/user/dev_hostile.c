/*
 * Device capabilities against a hostile holder, with QEMU's edu device
 * (a DMA engine and an MSI) and the IOMMU.  Every attack must fail with
 * an error or a fault the IOMMU logs, and change nothing else: canary
 * pages stay intact, BARs stay where the kernel put them, the kernel keeps
 * running and every page comes back.
 *
 * edu (QEMU 7.2): BAR0 1 MiB; 0x00 id, 0x04 liveness (~v), 0x24 interrupt
 * status, 0x60 raise, 0x64 acknowledge; DMA 0x80 source, 0x88 destination,
 * 0x90 count, 0x98 command (1 start, 2 edu-to-RAM, 4 interrupt when done).
 * Its buffer is at edu address 0x40000 (4 KiB); the RAM side is a bus
 * (I/O virtual) address, masked to 28 bits.  Transfers are of DMA_LEN
 * bytes: QEMU 7.2's edu aborts on a full 4 KiB one (an off-by-one in its
 * bounds check).
 *
 * mode 0: the test.  mode 1: a child that takes edu (slot 1), maps the
 * page whose physical address is arg1 for DMA, starts a transfer into it
 * and exits before the transfer runs.
 */
#include <veneer/dev.h>
#include "check.h"

int main(uint64_t mode, uint64_t arg1);

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BUF    0x40000
#define IOVA       0x200000ul
#define PATTERN    0xa5a5a5a5c3c3c3c3ul
#define CANARY     0x6b6b6b6b6b6b6b6bul
#define DMA_LEN    2048

static volatile uint32_t *edu32;
static volatile uint64_t *edu64;

/* The device capability (in our table) of the first function vendor:device. */
static capref_t find_device(uint16_t vendor, uint16_t device)
{
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        struct vn_devinfo di;
        capref_t c = (capref_t)(VN_CAP_DEV_FIRST + i);
        if (vn_dev_info(c, &di) == 0 && di.vendor == vendor && di.device == device)
            return c;
    }
    return -1;
}

static uint64_t map_cap(capref_t cap, uint64_t index, unsigned prot)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, cap, prot, index};
    return vn_page_map(CAP_SELF, &m, 1) == 1 ? va : 0;
}

static uint64_t phys_of(capref_t page)
{
    struct vn_capinfo ci;
    return vn_cap_info(page, &ci) == 0 ? ci.object : 0;
}

static void fill(uint64_t va, uint64_t v)
{
    for (unsigned i = 0; i < 512; i++)
        ((volatile uint64_t *)va)[i] = v;
}

static bool all(uint64_t va, uint64_t v)
{
    for (unsigned i = 0; i < 512; i++)
        if (((volatile uint64_t *)va)[i] != v)
            return false;
    return true;
}

/* The first DMA_LEN bytes at va hold v. */
static bool half(uint64_t va, uint64_t v)
{
    for (unsigned i = 0; i < DMA_LEN / 8; i++)
        if (((volatile uint64_t *)va)[i] != v)
            return false;
    return true;
}

/* Run one edu DMA of a page and wait (bounded) for it to finish. */
static bool edu_dma(uint64_t src, uint64_t dst, bool to_ram, bool wait)
{
    edu64[0x80 / 8] = src;
    edu64[0x88 / 8] = dst;
    edu64[0x90 / 8] = DMA_LEN;
    edu64[0x98 / 8] = 1 | (to_ram ? 2 : 0);
    uint64_t until = vn_clock_ns() + 5000000000ul;
    while (wait && (edu64[0x98 / 8] & 1) && vn_clock_ns() < until)
        vn_yield();
    return !(edu64[0x98 / 8] & 1) || !wait;
}

static uint64_t faults(capref_t dev)
{
    struct vn_devinfo di;
    return vn_dev_info(dev, &di) == 0 ? di.dma_faults : ~0ul;
}

static int child(uint64_t target_pa)
{
    capref_t dev = VN_CAP_SPAWN_SHARE, page = -1;
    for (capref_t s = 1; s < 64 && page < 0; s++) {
        struct vn_capinfo ci;
        if (vn_cap_info(s, &ci) == 0 && ci.type == CAP_PAGE && ci.object == target_pa)
            page = s;
    }
    long regs = vn_dev_regs(dev, 0, CR_READ | CR_WRITE | CR_MAP);
    if (page < 0 || regs < 0)
        return 10;
    uint64_t va = map_cap((capref_t)regs, 0, VM_PROT_WRITE);
    if (!va || vn_dma_map(dev, page, IOVA, VN_DMA_READ | VN_DMA_WRITE) != 1 ||
        vn_dev_cfg_write(dev, 4, 2, VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF) != 0)
        return 11;
    edu64 = (volatile uint64_t *)va;
    edu_dma(EDU_BUF, IOVA, true, false);    /* runs about 100 ms from now: we are gone by then */
    return 0;
}

/* Config space: the kernel's registers stay the kernel's. */
static void test_config_filter(capref_t edu, capref_t other)
{
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    uint32_t bar0 = (uint32_t)vn_dev_cfg_read(edu, 0x10, 4);
    CHECK_EQ(bar0 & ~0xfu, (uint32_t)di.bar[0].base);
    CHECK_EQ(vn_dev_cfg_write(edu, 0x10, 4, 0x00100000), -E_PERM);        /* BAR onto kernel memory */
    CHECK_EQ(vn_dev_cfg_write(edu, 0x10, 2, 0), -E_PERM);
    CHECK_EQ(vn_dev_cfg_write(edu, 0x12, 1, 0), -E_PERM);
    CHECK_EQ(vn_dev_cfg_write(edu, 0x30, 4, 0x00100001), -E_PERM);        /* expansion ROM */
    CHECK_EQ(vn_dev_cfg_write(edu, 0x0e, 1, 0x81), -E_PERM);              /* header type */
    CHECK_EQ(vn_dev_cfg_write(edu, 0x100, 4, 0), -E_PERM);                /* extended space */
    CHECK_EQ(vn_dev_cfg_write(edu, 0x41, 2, 0), -E_INVAL);                /* unaligned */
    CHECK_EQ(vn_dev_cfg_write(edu, 0x40, 3, 0), -E_INVAL);
    CHECK_EQ(vn_dev_cfg_write(edu, 4096, 4, 0), -E_INVAL);
    CHECK_EQ(vn_dev_cfg_read(edu, 4094, 4), -E_INVAL);
    CHECK_EQ(vn_dev_cfg_read(edu, 0, 8), -E_INVAL);
    /* Aim its MSI at another vector: the capability's body is the kernel's. */
    unsigned ptr = (unsigned)vn_dev_cfg_read(edu, 0x34, 1), msi = 0;
    for (unsigned n = 0; ptr && n < 48; n++, ptr = (unsigned)vn_dev_cfg_read(edu, ptr + 1, 1))
        if (vn_dev_cfg_read(edu, ptr, 1) == 0x05)
            msi = ptr;
    CHECK(msi >= 0x40);
    CHECK_EQ(vn_dev_cfg_write(edu, msi + 4, 4, 0xfee00000), -E_PERM);    /* address */
    CHECK_EQ(vn_dev_cfg_write(edu, msi + 12, 2, 0x30), -E_PERM);         /* data (64-bit layout) */
    CHECK_EQ(vn_dev_cfg_write(edu, msi + 2, 2, 1), -E_PERM);             /* enable */
    CHECK_EQ((uint32_t)vn_dev_cfg_read(edu, 0x10, 4), bar0);
    /* Rights: a read-only device capability cannot write or derive. */
    long ro = vn_cap_derive(edu, CR_READ);
    CHECK(ro > 0);
    CHECK_EQ(vn_dev_cfg_write((capref_t)ro, 0x0c, 1, 0x10), -E_PERM);
    CHECK_EQ(vn_dev_regs((capref_t)ro, 0, CR_READ | CR_MAP), -E_PERM);
    CHECK_EQ(vn_dev_irq((capref_t)ro, VN_IRQ_MSI, 0, 0, 1), -E_PERM);
    CHECK_EQ(vn_dev_reset((capref_t)ro), -E_PERM);
    CHECK_EQ(vn_cap_delete((capref_t)ro), 0);
    CHECK_EQ(vn_dev_info(CAP_SELF, &di), -E_TYPE);
    CHECK_EQ(vn_dev_info(0x7fff0002, &di), -E_BADCAP);
    (void)other;
}

/* Registers: only through a register capability, only its own BAR, the
 * rights it has, never the MSI-X table; RAM is not a device. */
static void test_registers(capref_t edu, capref_t nvme)
{
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(di.bar[0].flags & VN_BAR_PLACED);
    CHECK_EQ(vn_dev_regs(edu, 1, CR_READ | CR_MAP), -E_INVAL);           /* no BAR 1 */
    CHECK_EQ(vn_dev_regs(edu, 6, CR_READ | CR_MAP), -E_INVAL);
    CHECK_EQ(vn_dev_regs(edu, 0, 0x100), -E_INVAL);                      /* not a right */
    long ro = vn_dev_regs(edu, 0, CR_READ | CR_MAP);
    CHECK(ro > 0);
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info((capref_t)ro, &ci), 0);
    CHECK_EQ(ci.type, CAP_REGS);
    CHECK_EQ(ci.object, di.bar[0].base);
    CHECK_EQ(ci.count, 256);
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)ro, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_PERM);                     /* no register write right */
    m.prot = VM_PROT_EXEC;
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_INVAL);                    /* registers never execute */
    m.prot = 0;
    m.index = 256;
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_RANGE);                    /* past the BAR: another device */
    m.index = 0;
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    CHECK_EQ(*(volatile uint32_t *)va, 0x010000ed);                      /* edu's identification */
    CHECK((vn_pte(va) & 0x18) == 0x18);                                  /* PCD | PWT: uncached */
    CHECK_EQ(vn_page_protect(CAP_SELF, va, 1, VM_PROT_WRITE), -E_PERM);
    CHECK_EQ(vn_cap_delete((capref_t)ro), 0);
    CHECK(!(vn_pte(va) & 1));                                            /* deleting it unmaps */
    /* The device's pages are not RAM: page_alloc cannot name them. */
    CHECK(vn_page_alloc(CAP_SELF, di.bar[0].base, 1) < 0);
    /* MSI-X table and PBA pages are the kernel's. */
    if (nvme >= 0) {
        struct vn_devinfo ni;
        CHECK_EQ(vn_dev_info(nvme, &ni), 0);
        CHECK(ni.msix_size > 0);
        long r = vn_dev_regs(nvme, ni.msix_table_bar, CR_READ | CR_WRITE | CR_MAP);
        CHECK(r > 0);
        struct vn_map_entry t = {vn_va_reserve(1), (capref_t)r, VM_PROT_WRITE, ni.msix_table_off / 4096};
        CHECK_EQ(vn_page_map(CAP_SELF, &t, 1), -E_PERM);
        t.index = ni.msix_pba_off / 4096;
        CHECK_EQ(vn_page_map(CAP_SELF, &t, 1), -E_PERM);
        t.index = 0;                                                     /* its other registers are fine */
        CHECK_EQ(vn_page_map(CAP_SELF, &t, 1), 1);
        CHECK_EQ(vn_cap_delete((capref_t)r), 0);
        /* Reset with FLR: the function forgets its programming, and the
         * kernel gives it back its BAR and decoding. */
        CHECK(ni.flags & VN_DEVF_FLR);
        uint32_t bar0 = (uint32_t)vn_dev_cfg_read(nvme, 0x10, 4);
        CHECK_EQ(vn_dev_cfg_write(nvme, 4, 2, VN_CMD_MEM | VN_CMD_INTX_OFF), 0);
        CHECK_EQ(vn_dev_cfg_write(nvme, 0x0c, 1, 0x10), 0);             /* cache line size: FLR clears it */
        CHECK_EQ(vn_dev_reset(nvme), 0);
        CHECK_EQ(vn_dev_cfg_read(nvme, 0x0c, 1), 0);
        CHECK_EQ((uint32_t)vn_dev_cfg_read(nvme, 0x10, 4), bar0);
        CHECK_EQ(vn_dev_cfg_read(nvme, 4, 2) & (VN_CMD_MEM | VN_CMD_MASTER), VN_CMD_MEM);
    }
}

/* DMA: only into pages mapped in the device's domain, with their rights;
 * anything else faults in the IOMMU and writes nothing. */
static void test_dma(capref_t edu)
{
    long regs = vn_dev_regs(edu, 0, CR_READ | CR_WRITE | CR_MAP);
    CHECK(regs > 0);
    uint64_t rva = map_cap((capref_t)regs, 0, VM_PROT_WRITE);
    CHECK(rva != 0);
    edu32 = (volatile uint32_t *)rva;
    edu64 = (volatile uint64_t *)rva;
    edu32[1] = 0x1234;
    CHECK_EQ(edu32[1], ~0x1234u);
    long src = vn_page_alloc(CAP_SELF, 0, 1), dst = vn_page_alloc(CAP_SELF, 0, 1);
    long canary = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(src > 0 && dst > 0 && canary > 0);
    uint64_t sva = map_cap((capref_t)src, 0, VM_PROT_WRITE), dva = map_cap((capref_t)dst, 0, VM_PROT_WRITE);
    uint64_t cva = map_cap((capref_t)canary, 0, VM_PROT_WRITE);
    fill(sva, PATTERN);
    fill(dva, 0);
    fill(cva, CANARY);
    uint64_t cpa = phys_of((capref_t)canary);
    CHECK(cpa != 0 && cpa < (1ul << 28));

    /* Bus mastering goes on only with a domain; this machine has one. */
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(di.flags & VN_DEVF_IOMMU);
    CHECK(!(di.flags & VN_DEVF_HELD));
    CHECK_EQ(vn_dma_map(edu, (capref_t)src, IOVA, 0), -E_INVAL);
    CHECK_EQ(vn_dma_map(edu, (capref_t)src, IOVA + 1, VN_DMA_READ), -E_INVAL);
    CHECK_EQ(vn_dma_map(edu, (capref_t)src, 1ul << 50, VN_DMA_READ), -E_INVAL);
    CHECK_EQ(vn_dma_map(edu, VN_CAP_ARCHIVE, IOVA, VN_DMA_WRITE), -E_PERM);  /* read-only pages */
    CHECK_EQ(vn_dma_map(edu, VN_CAP_ARCHIVE, IOVA, VN_DMA_READ), -E_PERM);   /* kernel's pages */
    CHECK_EQ(vn_dma_map(edu, (capref_t)src, IOVA, VN_DMA_READ), 1);
    CHECK_EQ(vn_dma_map(edu, (capref_t)dst, IOVA, VN_DMA_READ), -E_EXIST);
    CHECK_EQ(vn_dma_map(edu, (capref_t)dst, IOVA + 4096, VN_DMA_READ | VN_DMA_WRITE), 1);
    CHECK_EQ(vn_dev_cfg_write(edu, 4, 2, VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF), 0);
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(di.flags & VN_DEVF_HELD_BY_ME);
    CHECK_EQ(di.dma_pages, 2);

    /* A second capability to the same device cannot program it now. */
    long other = vn_cap_derive(edu, CR_ALL);
    CHECK(other > 0);
    CHECK_EQ(vn_dev_cfg_write((capref_t)other, 0x0c, 1, 0x10), -E_BUSY);
    CHECK_EQ(vn_dma_map((capref_t)other, (capref_t)canary, 0, VN_DMA_READ), -E_BUSY);
    CHECK_EQ(vn_dev_reset((capref_t)other), -E_BUSY);

    /* The round trip through the domain works. */
    uint64_t f0 = faults(edu);
    CHECK(edu_dma(IOVA, EDU_BUF, false, true));
    CHECK(edu_dma(EDU_BUF, IOVA + 4096, true, true));
    CHECK(half(dva, PATTERN));
    CHECK_EQ(faults(edu), f0);

    /* Into memory not in the domain: the canary's physical address as the
     * bus address (without the IOMMU the device would write it). */
    CHECK(edu_dma(EDU_BUF, cpa, true, true));
    CHECK(all(cva, CANARY));
    CHECK(faults(edu) > f0);
    /* Into kernel memory (the kernel image is at 1 MiB). */
    f0 = faults(edu);
    CHECK(edu_dma(EDU_BUF, 0x100000, true, true));
    CHECK(faults(edu) > f0);
    /* Into a page mapped for reading only (its translation is cached from
     * the read above: QEMU then refuses the write without recording a
     * fault, so only the page tells). */
    fill(sva, CANARY);
    CHECK(edu_dma(EDU_BUF, IOVA, true, true));
    CHECK(all(sva, CANARY));

    /* Unmapped: after a DMA that cached the translation, unmap, DMA again. */
    fill(dva, 0);
    CHECK(edu_dma(EDU_BUF, IOVA + 4096, true, true));
    CHECK(half(dva, PATTERN));
    CHECK_EQ(vn_dma_unmap(edu, IOVA + 4096, 1), 1);
    fill(dva, CANARY);
    f0 = faults(edu);
    CHECK(edu_dma(EDU_BUF, IOVA + 4096, true, true));
    CHECK(all(dva, CANARY));
    CHECK(faults(edu) > f0);

    /* A page freed a moment ago and handed to someone else: map it, free it
     * (deleting its root removes the DMA mapping), let the pool give it
     * out again, DMA into its old bus address. */
    long tmp = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(tmp > 0);
    uint64_t tpa = phys_of((capref_t)tmp);
    CHECK_EQ(vn_dma_map(edu, (capref_t)tmp, IOVA + 8192, VN_DMA_READ | VN_DMA_WRITE), 1);
    CHECK_EQ(vn_cap_delete((capref_t)tmp), 0);
    long again = vn_page_alloc(CAP_SELF, tpa, 1);
    CHECK(again > 0);
    uint64_t ava = map_cap((capref_t)again, 0, VM_PROT_WRITE);
    fill(ava, CANARY);
    f0 = faults(edu);
    CHECK(edu_dma(EDU_BUF, IOVA + 8192, true, true));
    CHECK(all(ava, CANARY));
    CHECK(faults(edu) > f0);

    /* Revocation while a transfer is in flight: start it, revoke the
     * capability the mapping came from, and the device finds nothing. */
    long sub = vn_cap_derive((capref_t)again, CR_READ | CR_WRITE | CR_MAP);
    CHECK(sub > 0);
    CHECK_EQ(vn_dma_map(edu, (capref_t)sub, IOVA + 8192, VN_DMA_READ | VN_DMA_WRITE), 1);
    f0 = faults(edu);
    edu_dma(EDU_BUF, IOVA + 8192, true, false);
    CHECK_EQ(vn_cap_revoke((capref_t)again), 0);                         /* takes sub and its mapping */
    uint64_t until = vn_clock_ns() + 5000000000ul;
    while ((edu64[0x98 / 8] & 1) && vn_clock_ns() < until)
        vn_yield();
    CHECK(all(ava, CANARY));
    CHECK(faults(edu) > f0);

    /* Reset: bus mastering off, mappings and domain gone, free again. */
    CHECK_EQ(vn_dev_reset(edu), 0);
    CHECK_EQ(vn_dev_cfg_read(edu, 4, 2) & VN_CMD_MASTER, 0);
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(!(di.flags & VN_DEVF_HELD));
    CHECK_EQ(di.dma_pages, 0);
    CHECK_EQ(vn_dev_cfg_write((capref_t)other, 0x0c, 1, 0x10), 0);      /* now it may */
    CHECK_EQ(vn_cap_delete((capref_t)other), 0);                         /* and letting go resets */
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(!(di.flags & VN_DEVF_HELD));
    CHECK_EQ(vn_cap_delete((capref_t)src), 0);
    CHECK_EQ(vn_cap_delete((capref_t)dst), 0);
    CHECK_EQ(vn_cap_delete((capref_t)canary), 0);
    CHECK_EQ(vn_cap_delete((capref_t)again), 0);
    CHECK_EQ(vn_cap_delete((capref_t)regs), 0);
}

static int gp_faults;

/* #GP on an `inb %dx, %al` (one byte): count it and step over. */
static bool skip_inb(struct vn_xframe *x)
{
    if (x->trapno != 13 || *(const uint8_t *)x->rip != 0xec)
        return false;
    gp_faults++;
    x->rip += 1;
    return true;
}

/* Whether reading port p faults. */
static bool port_faults(uint16_t p)
{
    int before = gp_faults;
    uint8_t v;
    __asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(p) : "memory");
    (void)v;
    return gp_faults != before;
}

/* I/O ports: only those of a register capability given with dev_ports,
 * only while it lasts, never the legacy ones. */
static void test_ports(capref_t testdev, capref_t edu)
{
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(testdev, &di), 0);
    CHECK(di.bar[1].flags & VN_BAR_IO);
    CHECK(di.bar[1].flags & VN_BAR_PLACED);
    uint16_t port = (uint16_t)di.bar[1].base;
    CHECK(port >= 0x1000);
    CHECK_EQ(vn_upcalls_init(), 0);
    vn_exception_handler(skip_inb);
    CHECK(port_faults(port));                                            /* not given yet */
    CHECK(port_faults(0x3f8));                                           /* the kernel's UART */
    long io = vn_dev_regs(testdev, 1, CR_READ | CR_WRITE | CR_MAP);
    long ro = vn_dev_regs(testdev, 1, CR_READ | CR_MAP);
    long mem = vn_dev_regs(edu, 0, CR_READ | CR_WRITE | CR_MAP);
    CHECK(io > 0 && ro > 0 && mem > 0);
    struct vn_map_entry m = {vn_va_reserve(1), (capref_t)io, 0, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), -E_INVAL);                    /* ports are not pages */
    CHECK_EQ(vn_dev_ports(CAP_SELF, (capref_t)ro), -E_PERM);
    CHECK_EQ(vn_dev_ports(CAP_SELF, (capref_t)mem), -E_INVAL);
    CHECK_EQ(vn_dev_ports((capref_t)edu, (capref_t)io), -E_TYPE);
    CHECK_EQ(vn_dev_ports(CAP_SELF, (capref_t)io), 0);
    CHECK(!port_faults(port));
    CHECK(!port_faults((uint16_t)(port + di.bar[1].size - 1)));
    CHECK(port_faults((uint16_t)(port + di.bar[1].size)));               /* one past the BAR */
    CHECK(port_faults((uint16_t)(port - 1)));
    CHECK(port_faults(0x3f8));
    for (int i = 0; i < 3; i++)
        CHECK_EQ(vn_dev_ports(CAP_SELF, (capref_t)io), 0);
    CHECK_EQ(vn_dev_ports(CAP_SELF, (capref_t)io), -E_NOSPC);            /* VN_IO_RANGES */
    CHECK_EQ(vn_cap_delete((capref_t)io), 0);                            /* every grant goes with it */
    CHECK(port_faults(port));
    long again = vn_dev_regs(testdev, 1, CR_READ | CR_WRITE | CR_MAP);
    CHECK_EQ(vn_dev_ports(CAP_SELF, (capref_t)again), 0);                /* the slots came back */
    CHECK(!port_faults(port));
    CHECK_EQ(vn_cap_revoke((capref_t)testdev), 0);                       /* the device's holder takes it back */
    CHECK(port_faults(port));
    CHECK_EQ(vn_cap_delete((capref_t)ro), -E_BADCAP);                    /* revoked with it */
    CHECK_EQ(vn_cap_delete((capref_t)mem), 0);
    vn_exception_handler(NULL);
}

/* The holder dies with a transfer programmed: the kernel resets the
 * device before the transfer runs, so nothing lands in the page. */
static void test_holder_dies(capref_t edu)
{
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    uint64_t va = map_cap((capref_t)page, 0, VM_PROT_WRITE), pa = phys_of((capref_t)page);
    fill(va, CANARY);
    capref_t kid = vn_spawn_share_stopped("dev_hostile", 128, 1, pa, edu, CR_ALL, 0);
    CHECK(kid > 0);
    CHECK(vn_cap_grant((capref_t)page, kid, CR_READ | CR_WRITE | CR_MAP) > 0);
    CHECK_EQ(vn_env_start(kid), 0);
    CHECK_EQ(vn_wait(kid), 0);
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(!(di.flags & VN_DEVF_HELD));
    CHECK_EQ(vn_dev_cfg_read(edu, 4, 2) & VN_CMD_MASTER, 0);
    uint64_t until = vn_clock_ns() + 300000000ul;                        /* past when it would have run */
    while (vn_clock_ns() < until)
        vn_yield();
    CHECK(all(va, CANARY));
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
}

/* A vCPU of the holder's space maps and unmaps DMA: the space holds the
 * device, so the thread may use it, charged to the space (the fuzzer found
 * the kernel panicking here: it charged the thread, not the holder). */
static volatile long vcpu_map, vcpu_unmap, vcpu_done;
static capref_t vcpu_dev, vcpu_page;

__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_dma(void)
{
    vcpu_map = vn_dma_map(vcpu_dev, vcpu_page, IOVA + 16 * 4096, VN_DMA_READ | VN_DMA_WRITE);
    vcpu_unmap = vn_dma_unmap(vcpu_dev, IOVA + 16 * 4096, 1);
    vcpu_done = 1;
    vn_env_wake_word((const uint64_t *)&vcpu_done);
    vn_env_exit(0);
    __builtin_unreachable();
}

static void test_vcpu_dma(capref_t edu)
{
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    CHECK_EQ(vn_dma_map(edu, (capref_t)page, IOVA + 17 * 4096, VN_DMA_READ), 1);    /* the space holds it */
    vcpu_dev = edu, vcpu_page = (capref_t)page;
    uint64_t *stack = vn_alloc_pages(2);
    long v = vn_env_create_vcpu(16, "dma_vcpu");
    CHECK(v > 0);
    struct vn_regs regs = {.rip = (uint64_t)vcpu_dma, .rsp = (uint64_t)stack + 2 * PAGE_SIZE - 8};
    CHECK_EQ(vn_env_set_regs((capref_t)v, &regs), 0);
    CHECK_EQ(vn_env_start((capref_t)v), 0);
    while (!vcpu_done)
        CHECK(vn_env_wait(5000000000ul, (const uint64_t *)&vcpu_done, 0, VN_WAIT_EQ) >= 0);
    CHECK_EQ(vcpu_map, 1);
    CHECK_EQ(vcpu_unmap, 1);
    vn_wait((capref_t)v);
    CHECK_EQ(vn_dma_unmap(edu, IOVA + 17 * 4096, 1), 1);
    CHECK_EQ(vn_dev_reset(edu), 0);
    vn_unmap_free((uint64_t)stack, 2);
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
}

/* Without an IOMMU (the PC): registers and ports, but never bus mastering
 * or DMA mappings. */
static void test_no_iommu(capref_t edu)
{
    struct vn_devinfo di;
    long page = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(page > 0);
    CHECK_EQ(vn_dev_cfg_write(edu, 4, 2, VN_CMD_MEM | VN_CMD_MASTER), -E_NODEV);
    CHECK_EQ(vn_dma_map(edu, (capref_t)page, IOVA, VN_DMA_READ), -E_NODEV);
    CHECK_EQ(vn_dev_cfg_write(edu, 4, 2, VN_CMD_MEM | VN_CMD_INTX_OFF), 0);   /* the rest is fine */
    CHECK_EQ(vn_dev_cfg_read(edu, 4, 2) & VN_CMD_MASTER, 0);
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    CHECK(di.flags & VN_DEVF_HELD_BY_ME);
    CHECK_EQ(vn_dev_reset(edu), 0);
    CHECK_EQ(vn_cap_delete((capref_t)page), 0);
    printf("dev_hostile: no IOMMU: bus mastering and DMA mappings refused\n");
}

int main(uint64_t mode, uint64_t arg1)
{
    if (mode == 1)
        return child(arg1);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t edu = find_device(EDU_VENDOR, EDU_DEVICE), nvme = find_device(0x1b36, 0x0010);
    capref_t testdev = find_device(0x1b36, 0x0005);
    CHECK(edu >= 0);
    if (edu < 0)
        return check_done("dev_hostile");
    struct vn_devinfo di;
    CHECK_EQ(vn_dev_info(edu, &di), 0);
    test_config_filter(edu, testdev);
    test_registers(edu, nvme);
    if (di.flags & VN_DEVF_IOMMU) {
        test_dma(edu);
        test_holder_dies(edu);
        test_vcpu_dma(edu);
    } else {
        test_no_iommu(edu);
    }
    if (testdev >= 0)
        test_ports(testdev, edu);
    else
        CHECK(!"pci-testdev");
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("dev_hostile");
}
