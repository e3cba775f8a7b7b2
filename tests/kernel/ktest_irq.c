/*
 * Kernel self-test of device interrupts (ktest=irq), with QEMU's edu
 * device (-device edu,addr=2): its MSI bound to a kernel-held word arrives
 * once per acknowledgement, stays masked while the holder masks it, is
 * silent once unbound; bind errors; slots and vectors are reused; an
 * MSI-X table is programmed (virtio-net).
 */
#include <veneer/errors.h>
#include "arch.h"
#include "console.h"
#include "iommu.h"
#include "ipc.h"
#include "irq.h"
#include "klib.h"
#include "ktest.h"
#include "pci.h"
#include "pmem.h"
#include "vm.h"

/* ---- device interrupts, with QEMU's edu device (-device edu) */

#define EDU_ID     0x00             /* 32-bit registers in BAR0 */
#define EDU_STATUS 0x24
#define EDU_RAISE  0x60             /* ORs the value into the status; an MSI if enabled, else INTx */
#define EDU_ACK    0x64             /* clears those status bits */

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

/* edu's function, its BAR0 (as placed at boot) mapped in edu, or NULL. */
static const struct pci_func *edu_find(void)
{
    for (unsigned i = 0; i < pci_func_count(); i++) {
        const struct pci_func *f = pci_func_get(i);
        if (f->vendor != 0x1234 || f->device != 0x11e8)
            continue;
        paddr_t base = f->bar[0].base;
        if (!f->bar[0].placed)
            return NULL;
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
        CHECK(irq_bind(IRQ_MSIX, f->addr, 0, &n, 1, &q) == -E_INVAL);
        kprintf("ktest irq: msi-x skipped: the table's BAR is unassigned\n");
        return 0;
    }
    t += f->msix_table_off;
    pci_cfg_write16(f->addr, 0x04, pci_cfg_read16(f->addr, 0x04) | 0x6);
    CHECK(irq_bind(IRQ_MSIX, f->addr, f->msix_size, &n, 1, &q) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 1, &n, 1, &q) == 0);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 2, &n, 2, &q2) == 0);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 2, &n, 2, &q2) == -E_BUSY);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 2, &q2) == -E_BUSY);
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
 * errors, vector reuse. */
int ktest_irq(void)
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
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 0x5, &q) == 0);
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
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 1, &q) == 0);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 2, &q2) == -E_BUSY);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 0, &n, 2, &q2) == -E_BUSY);
    irq_unbind(q);
    CHECK(irq_bind(IRQ_MSI, f->addr, 1, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSIX, f->addr, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, PCI_ADDR(0, 0x77, 0, 0), 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 0, &q2) == -E_INVAL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 1ul << 63, &q2) == -E_INVAL);
    CHECK(irq_bind(7, f->addr, 0, &n, 1, &q2) == -E_INVAL);
    CHECK(irq_bind(3, f->addr, 0, &n, 1, &q2) == -E_INVAL);     /* the I/O APIC pins are not routed */
    /* Slots and vectors come back: more binds than either would allow. */
    for (unsigned i = 0; i < IRQ_MAX + VEC_DEV_LAST - VEC_DEV_FIRST + 10; i++) {
        CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 1, &q) == 0);
        irq_unbind(q);
    }
    for (unsigned i = 0; i < IRQ_MAX; i++)
        CHECK(irq_slot(i)->kind == 0);
    CHECK(irq_slot(IRQ_MAX) == NULL);
    CHECK(irq_bind(IRQ_MSI, f->addr, 0, &n, 0x30, &q) == 0);
    edu_write(EDU_RAISE, 1);
    CHECK(irq_wait(&n, 1000) == 0x30 && q->count == 1);
    irq_notify_gone(&n);            /* the word goes: its irqs with it */
    CHECK(q->kind == 0 && n.irqs == NULL && !msi_enabled(f));
    edu_write(EDU_ACK, ~0u);
    kprintf("ktest irq: edu MSI delivered once per ack (storm of 1000: one), masked, unbound, vectors reused\n");
    return ktest_irq_msix();
}

