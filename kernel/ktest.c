/*
 * Kernel self-tests for mechanisms that cannot be reached from user space
 * in isolation.  Each returns 0 on success or prints why it failed.  They
 * run after paging_init and before the first environment.
 */
#include <veneer/errors.h>
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "iommu.h"
#include "ipc.h"
#include "irq.h"
#include "klib.h"
#include "ktest.h"
#include "pci.h"
#include "pmem.h"
#include "vm.h"

/* Take every free page, mark each with its own address, and check no page
 * came twice (a second hand-out would zero the first marker), then give
 * them all back and check the free count returns exactly. */
static int ktest_page_alloc(void)
{
    uint64_t before = page_free_count();
    paddr_t head = 0;
    uint64_t n = 0;
    for (paddr_t pa; (pa = page_alloc()) != 0; n++) {
        uint64_t *w = P2V(pa);
        w[0] = head;
        w[1] = pa ^ 0x5a5a5a5a5a5a5a5aul;
        head = pa;
    }
    CHECK(n == before);
    CHECK(page_free_count() == 0);
    CHECK(page_alloc() == 0);
    uint64_t seen = 0;
    for (paddr_t pa = head; pa; pa = ((uint64_t *)P2V(pa))[0], seen++)
        CHECK(((uint64_t *)P2V(pa))[1] == (pa ^ 0x5a5a5a5a5a5a5a5aul));
    CHECK(seen == n);
    /* Named allocation: a taken page is busy, a freed one can be named. */
    CHECK(page_alloc_at(head) == -E_BUSY);
    CHECK(page_alloc_at(head + 1) == -E_INVAL);
    for (paddr_t pa = head, next; pa; pa = next) {
        next = ((uint64_t *)P2V(pa))[0];
        page_free(pa);
    }
    CHECK(page_free_count() == before);
    paddr_t some = page_alloc();
    CHECK(some != 0);
    page_free(some);
    CHECK(page_alloc_at(some) == 0);
    CHECK(page_free_count() == before - 1);
    page_free(some);
    kprintf("ktest page_alloc: %lu pages taken and returned, none twice\n", n);
    return 0;
}

/* W^X: no kernel mapping is both writable and executable, the kernel text
 * has no writable alias in the physmap, and non-RAM is not mapped. */
static int ktest_wx(void)
{
    extern char kernel_text_start[], kernel_text_end[], kernel_rodata_end[], kernel_data_end[];
    uint64_t text = (uint64_t)kernel_text_start;
    CHECK(vm_kernel_rights(text) == VM_EXEC);
    CHECK(vm_kernel_rights(text + PHYSMAP_BASE - KERNEL_BASE) == 0);       /* alias: read-only, NX */
    CHECK(vm_kernel_rights((uint64_t)kernel_text_end) == 0);                /* rodata */
    CHECK(vm_kernel_rights((uint64_t)kernel_rodata_end) == VM_WRITE);       /* data */
    CHECK(vm_kernel_rights((uint64_t)kernel_data_end - 8) == VM_WRITE);
    CHECK(vm_kernel_rights(PHYSMAP_BASE + 0xb8000) == -1);                   /* VGA hole: not RAM */
    CHECK(vm_kernel_rights(PHYSMAP_BASE + 0x100000) == VM_WRITE);
    for (uint64_t va = text; va < (uint64_t)kernel_data_end; va += PAGE_SIZE)
        CHECK(vm_kernel_rights(va) != (VM_WRITE | VM_EXEC));
    for (uint64_t pa = 0; pa < pmem_top(); pa += LARGE_PAGE_SIZE / 4)
        CHECK(vm_kernel_rights(PHYSMAP_BASE + pa) == -1 || !(vm_kernel_rights(PHYSMAP_BASE + pa) & VM_EXEC));
    kprintf("ktest wx: kernel text RX, alias read-only, data NX, physmap NX, holes unmapped\n");
    return 0;
}

/* ---- device interrupts, with QEMU's edu device (-device edu) */

#define EDU_ID     0x00             /* 32-bit registers in BAR0 */
#define EDU_STATUS 0x24
#define EDU_RAISE  0x60             /* ORs the value into the status; an MSI if enabled, else INTx */
#define EDU_ACK    0x64             /* clears those status bits */
#define EDU_STOPGAP_BAR 0xe0000000u

static volatile uint32_t *edu;

static void edu_write(unsigned reg, uint32_t v)
{
    edu[reg / 4] = v;
}

/* Let interrupts in (halting, with a 1 ms timer) for up to ms milliseconds
 * or until n has bits, delivering them; take and return n's bits. */
static uint64_t irq_wait(struct notify *n, unsigned ms)
{
    uint64_t end = arch_tsc() + arch_tsc_hz() / 1000 * ms;
    while (!n->bits && arch_tsc() < end) {
        arch_timer_oneshot(1000000);
        arch_wait_for_kick();
        irq_deliver_pending();
    }
    arch_timer_oneshot(0);
    return (uint64_t)notify_take(n);
}

/* edu's function, its BAR0 mapped in edu (placed at EDU_STOPGAP_BAR if
 * the firmware left it unassigned), or NULL. */
static const struct pci_func *edu_find(void)
{
    for (unsigned i = 0; i < pci_func_count(); i++) {
        const struct pci_func *f = pci_func_get(i);
        if (f->vendor != 0x1234 || f->device != 0x11e8)
            continue;
        paddr_t base = f->bar[0].base;
        if (!base) {                /* STOPGAP until BAR placement (pci_place.c) lands */
            base = EDU_STOPGAP_BAR;
            pci_cfg_write32(f->addr, 0x10, (uint32_t)base);
        }
        /* Memory decoding, and bus mastering: an MSI is a memory write. */
        pci_cfg_write16(f->addr, 0x04, pci_cfg_read16(f->addr, 0x04) | 0x6);
        if (vm_kernel_map_mmio(base, PAGE_SIZE) < 0)
            return NULL;
        edu = P2V(base);
        return f;
    }
    return NULL;
}

static bool msi_enabled(const struct pci_func *f)
{
    return pci_cfg_read16(f->addr, f->msi_off + 2) & 1;
}

/* edu's INTx (pin A) reaches some I/O APIC pin among the PCI GSIs 16-23;
 * which one is ACPI's _PRT (AML, not parsed here), so find it: bind them
 * all level, active low, raise with MSI off and INTx on, and see which
 * fires.  Then a still-asserted line fires again after the ack, and stops
 * once the device lowers it. */
static int ktest_irq_pin(const struct pci_func *f)
{
    static struct notify n;
    struct irq *pins[8];
    for (unsigned g = 16; g < 24; g++)
        CHECK(irq_bind(IRQ_PIN, 0, g, IRQ_LEVEL | IRQ_ACTIVE_LOW, &n, 1ul << g, &pins[g - 16]) == 0);
    pci_cfg_write16(f->addr, 0x04, pci_cfg_read16(f->addr, 0x04) & ~0x400);    /* INTx on */
    CHECK(irq_wait(&n, 20) == 0);
    edu_write(EDU_RAISE, 1);
    uint64_t b = irq_wait(&n, 1000);
    CHECK(b && !(b & (b - 1)));
    unsigned gsi = (unsigned)__builtin_ctzl(b);
    struct irq *q = pins[gsi - 16];
    CHECK(q->count == 1 && q->masked && q->pending_ack);
    CHECK(irq_wait(&n, 20) == 0);
    irq_ack(q);                     /* still asserted: fires again */
    CHECK(irq_wait(&n, 1000) == b && q->count == 2);
    CHECK(irq_wait(&n, 20) == 0);   /* (takes the copy re-sent after the EOI, as user mode would) */
    edu_write(EDU_ACK, 1);
    irq_ack(q);
    CHECK(irq_wait(&n, 20) == 0 && q->count == 2);
    irq_notify_gone(&n);
    CHECK(n.irqs == NULL && q->kind == 0);
    pci_cfg_write16(f->addr, 0x04, pci_cfg_read16(f->addr, 0x04) | 0x400);
    kprintf("ktest irq: edu INTA on gsi %u (level, active low): refires while asserted, quiet once lowered\n", gsi);
    return 0;
}

/* MSI-X programming on a virtio-net function (its interrupts are not
 * raised here): entries written and unmasked, masked by the holder, MSI-X
 * off with the last.  Skipped while the table's BAR is unassigned. */
static int ktest_irq_msix(void)
{
    static struct notify n;
    const struct pci_func *f = NULL;
    struct irq *q, *q2;
    for (unsigned i = 0; i < pci_func_count() && !f; i++)
        if (pci_func_get(i)->vendor == 0x1af4 && pci_func_get(i)->msix_off)
            f = pci_func_get(i);
    CHECK(f && f->msix_size >= 3);
    paddr_t t = f->bar[f->msix_table_bar].base;
    if (!t) {
        CHECK(irq_bind(IRQ_MSIX, f->addr, 0, 0, &n, 1, &q) == -E_INVAL);
        kprintf("ktest irq: msi-x skipped: the table's BAR is unassigned\n");
        return 0;
    }
    t += f->msix_table_off;
    pci_cfg_write16(f->addr, 0x04, pci_cfg_read16(f->addr, 0x04) | 0x6);
    CHECK(irq_bind(IRQ_MSIX, f->addr, f->msix_size, 0, &n, 1, &q) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 1, 0, &n, 1, &q) == 0);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 2, 0, &n, 2, &q2) == 0);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 2, 0, &n, 2, &q2) == -E_BUSY);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 2, &q2) == -E_BUSY);
    volatile uint32_t *e = P2V(t);  /* entry i: e[4i] address low, e[4i + 2] data, e[4i + 3] control */
    uint16_t ctrl = pci_cfg_read16(f->addr, f->msix_off + 2);
    CHECK((ctrl & 0xc000) == 0x8000);                   /* enabled, function unmasked */
    CHECK((e[3] & 1) && !(e[7] & 1) && !(e[11] & 1));   /* entry 0 unbound: masked */
    CHECK(iommu_intremap() || (e[4] == 0xfee00000u && e[6] == q->vector && e[10] == q2->vector));
    irq_set_mask(q, true);
    CHECK((e[7] & 1) && !(e[11] & 1));
    irq_unbind(q);
    CHECK(pci_cfg_read16(f->addr, f->msix_off + 2) & 0x8000);
    irq_unbind(q2);
    CHECK(!(pci_cfg_read16(f->addr, f->msix_off + 2) & 0x8000) && (e[11] & 1));
    kprintf("ktest irq: msi-x entries programmed, masked and turned off\n");
    return 0;
}

/* One-shot MSI delivery to a word, masking, ack, storms, unbinding, the
 * errors, vector reuse, and (on q35) an I/O APIC pin. */
static int ktest_irq(void)
{
    static struct notify n;         /* kernel-held word: no owner, no waiter */
    const struct pci_func *f = edu_find();
    struct irq *q, *q2;
    if (!f) {
        kprintf("ktest irq: no edu device (-device edu)\n");
        return -1;
    }
    CHECK(edu[EDU_ID / 4] == 0x010000ed);
    CHECK(f->msi_off && !(f->msi_ctrl & 0x100));
    edu_write(EDU_ACK, ~0u);
    /* Bound: unmasked, INTx off; the first raise arrives and masks it. */
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 0x5, &q) == 0);
    CHECK(q->vector >= VEC_DEV_FIRST && q->vector <= VEC_DEV_LAST && !q->masked && msi_enabled(f));
    CHECK(pci_cfg_read16(f->addr, 0x04) & 0x400);
    CHECK(irq_wait(&n, 20) == 0);
    edu_write(EDU_RAISE, 1);
    CHECK(irq_wait(&n, 1000) == 0x5);
    CHECK(q->count == 1 && q->pending_ack && q->masked && !msi_enabled(f));
    edu_write(EDU_RAISE, 2);        /* masked: nothing */
    CHECK(irq_wait(&n, 20) == 0 && q->count == 1);
    edu_write(EDU_ACK, 3);
    CHECK(edu[EDU_STATUS / 4] == 0);
    irq_ack(q);
    CHECK(!q->masked && msi_enabled(f));
    edu_write(EDU_RAISE, 4);
    CHECK(irq_wait(&n, 1000) == 0x5 && q->count == 2);
    /* A storm without acknowledgement: one delivery. */
    irq_ack(q);
    uint64_t got = 0;
    for (unsigned i = 0; i < 1000; i++) {
        edu_write(EDU_RAISE, 8);
        if (i % 100 == 99)
            got |= irq_wait(&n, 2);
    }
    got |= irq_wait(&n, 20);
    CHECK(got == 0x5 && q->count == 3);
    /* The holder's mask outlasts the ack. */
    irq_set_mask(q, true);
    irq_ack(q);
    CHECK(q->masked && !msi_enabled(f));
    edu_write(EDU_RAISE, 8);
    CHECK(irq_wait(&n, 20) == 0);
    irq_set_mask(q, false);
    edu_write(EDU_RAISE, 8);
    CHECK(irq_wait(&n, 1000) == 0x5 && q->count == 4);
    /* Unbound: MSI off, nothing arrives; the handle's generation moves. */
    irq_ack(q);
    uint16_t gen = q->gen;
    irq_unbind(q);
    CHECK(q->kind == 0 && q->gen != gen && !msi_enabled(f) && n.irqs == NULL);
    edu_write(EDU_RAISE, 8);
    CHECK(irq_wait(&n, 20) == 0);
    edu_write(EDU_ACK, ~0u);
    /* Errors. */
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 1, &q) == 0);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 2, &q2) == -E_BUSY);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 0, 0, &n, 2, &q2) == -E_BUSY);
    irq_unbind(q);
    CHECK(irq_bind(IRQ_MSI, f->addr, 1, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 0, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, PCI_ADDR(0, 0x77, 0, 0), 0, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, IRQ_LEVEL, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 0, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 1ul << 63, &q2) == -E_INVAL);
    CHECK(irq_bind(7, f->addr, 0, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_PIN, 0, 100000, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_PIN, 0, 16, 0x4, &n, 1, &q2) == -E_INVAL);
    /* Slots and vectors come back: more binds than either would allow. */
    for (unsigned i = 0; i < IRQ_MAX + VEC_DEV_LAST - VEC_DEV_FIRST + 10; i++) {
        CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 1, &q) == 0);
        irq_unbind(q);
    }
    for (unsigned i = 0; i < IRQ_MAX; i++)
        CHECK(irq_slot(i)->kind == 0);
    CHECK(irq_slot(IRQ_MAX) == NULL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, 0, &n, 0x30, &q) == 0);
    edu_write(EDU_RAISE, 1);
    CHECK(irq_wait(&n, 1000) == 0x30 && q->count == 1);
    irq_notify_gone(&n);            /* the word goes: its irqs with it */
    CHECK(q->kind == 0 && n.irqs == NULL && !msi_enabled(f));
    edu_write(EDU_ACK, ~0u);
    kprintf("ktest irq: edu MSI delivered once per ack (storm of 1000: one), masked, unbound, vectors reused\n");
    return ktest_irq_msix() || (pci_func_get(0)->device == 0x29c0 ? ktest_irq_pin(f) : 0);
}

/* PCI placement, seen from the CPU: edu (at 00:02.0) answers at its BAR 0
 * through an uncached mapping, with its identification register and the
 * liveness register (it reads back the complement of what was written);
 * behind the root port, virtio-net's MSI-X table answers too (entries
 * start masked), so the bridge forwards its window. */
static int ktest_pci_place(void)
{
    const struct pci_func *edu = pci_func_by_addr(PCI_ADDR(0, 0, 2, 0)), *nic = NULL, *owner = NULL;
    unsigned bar = 9;
    CHECK(edu && edu->vendor == 0x1234 && edu->device == 0x11e8 && edu->bar[0].placed);
    paddr_t pa = edu->bar[0].base;
    CHECK(vm_kernel_map_mmio(pa, PAGE_SIZE) == 0);
    volatile uint32_t *r = P2V(pa);
    uint32_t id = r[0];
    kprintf("ktest pci_place: edu BAR 0 at %lx reads id %08x\n", pa, id);
    CHECK(id == 0x010000ed);
    r[1] = 0x12345678;
    CHECK(r[1] == ~0x12345678u);
    r[1] = 0;
    CHECK(r[1] == 0xffffffffu);
    CHECK(pci_mmio_owner(pa + 4, 4, &owner, &bar) && owner == edu && bar == 0);
    CHECK(!pci_mmio_owner(pa, edu->bar[0].size + 1, NULL, NULL));
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (pci_func_get(i)->vendor == 0x1af4 && PCI_BUS(pci_func_get(i)->addr) != 0)
            nic = pci_func_get(i);
    CHECK(nic && (nic->caps & PCI_CAP_MSIX) && nic->bar[nic->msix_table_bar].placed);
    paddr_t table = nic->bar[nic->msix_table_bar].base + nic->msix_table_off;
    CHECK(vm_kernel_map_mmio(ROUND_DOWN(table, PAGE_SIZE), PAGE_SIZE) == 0);
    uint32_t ctrl = *(volatile uint32_t *)P2V(table + 12);
    kprintf("ktest pci_place: virtio-net behind the root port: MSI-X entry 0 at %lx, control %x\n", table, ctrl);
    CHECK(ctrl == 1);
    return 0;
}

/* Deliberately crash: the panic must name this function in its backtrace. */
static int __attribute__((noinline)) ktest_panic(void)
{
    kprintf("ktest panic: dereferencing an unmapped kernel address\n");
    return *(volatile int *)0xffffffffdead0000ul;
}

static const struct {
    const char *name;
    int (*fn)(void);
} ktests[] = {
    {"irq", ktest_irq},
    {"iommu", ktest_iommu},
    {"page_alloc", ktest_page_alloc},
    {"panic", ktest_panic},
    {"pci_place", ktest_pci_place},
    {"wx", ktest_wx},
};

void ktest_run_requested(void)
{
    char list[128];
    if (!cmdline_get("ktest", list, sizeof(list)))
        return;
    int failed = 0, ran = 0;
    for (char *p = list; *p;) {
        char *name = p;
        while (*p && *p != ',')
            p++;
        if (*p)
            *p++ = 0;
        bool found = false;
        for (unsigned i = 0; i < ARRAY_SIZE(ktests); i++) {
            if (strcmp(ktests[i].name, name) == 0) {
                found = true;
                ran++;
                int r = ktests[i].fn();
                kprintf("ktest %s: %s\n", name, r == 0 ? "PASS" : "FAIL");
                failed += r != 0;
            }
        }
        if (!found) {
            kprintf("ktest %s: no such test\n", name);
            failed++;
        }
    }
    kprintf("ktest: %d run, %d failed\n", ran, failed);
    arch_halt(failed ? EXIT_FAIL : EXIT_PASS);
}
