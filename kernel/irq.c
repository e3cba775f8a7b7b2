/*
 * Device interrupts, the portable part: the table of bound interrupts,
 * the pool of device vectors with the map from vector to irq, and the
 * one-shot delivery to notification words.  The machine layer (msi.c)
 * checks that a source exists, routes it and masks it.
 *
 * Interrupts arrive only while a CPU is in user mode or halted (idle, or
 * waiting for the kernel lock).  The entry path acknowledges the local
 * APIC at once and calls irq_note, which only sets the vector's bit in
 * `noted` (atomic, no lock); whoever next holds the lock on an entry from
 * user mode or back from idle calls irq_deliver_pending, which masks each
 * noted source, marks it pending_ack and ORs its bits into its word (or
 * calls the kernel driver's callback).  The source stays masked until
 * irq_ack, so a storm costs one delivery per acknowledgement.
 *
 * The window: the local APIC's EOI comes before the mask.  A source may
 * fire again in between, which only sets the same bit again.  A copy
 * taken while the irq is pending_ack is the same delivery, and irq_ack
 * first delivers what was noted for that reason.  One still in the local
 * APIC when an ack on another CPU unmasks is delivered once more,
 * spuriously: holders check their device, as with any shared line.
 *
 * Vectors are handed out round robin, so one freed by irq_unbind (whose
 * last message may still be in flight) is not reused for a long while; a
 * note for a free vector is dropped.  All of this is guarded by the
 * kernel lock except `noted`.
 */
#include <veneer/errors.h>
#include "console.h"
#include "iommu.h"
#include "ipc.h"
#include "irq.h"
#include "klib.h"
#include "klock.h"
#include "panic.h"

#define NVEC (VEC_DEV_LAST - VEC_DEV_FIRST + 1)

static struct {
    struct irq slot[IRQ_MAX];
    struct irq *by_vector[NVEC];    /* NULL: vector free */
    unsigned next_vector;           /* where the next search for a free one starts */
    bool usable;                    /* the machine can route to the boot CPU */
} irqs;                             /* kernel lock */

static uint64_t noted[4];           /* vectors arrived (bit per vector), atomic, no lock */

void irq_init(void)
{
    irqs.usable = irq_arch_init();
    kprintf("irq: vectors %x-%x for %u device interrupts, %s\n", VEC_DEV_FIRST, VEC_DEV_LAST, IRQ_MAX,
            !irqs.usable ? "none usable (boot CPU unreachable)"
            : iommu_intremap() ? "through interrupt remapping" : "compatibility format");
}

bool irq_note(unsigned vector)
{
    if (vector < VEC_DEV_FIRST || vector > VEC_IOMMU_FAULT)
        return false;
    __atomic_fetch_or(&noted[vector / 64], 1ul << (vector % 64), __ATOMIC_RELEASE);
    return true;
}

/* Bring q's source mask in line with what it should be. */
static void irq_update_mask(struct irq *q)
{
    bool want = q->pending_ack || q->held;
    if (want != q->masked) {
        irq_arch_mask(q, want);
        q->masked = want;
    }
}

/* One arrival of q's vector: the one-shot delivery (later arrivals before
 * the ack are the same interrupt). */
static void irq_deliver(struct irq *q)
{
    if (!q || q->pending_ack)
        return;
    q->pending_ack = true;
    q->count++;
    irq_update_mask(q);
    if (q->fn)
        q->fn(q->ctx);
    else
        notify_signal(q->notify, q->bits);
}

void irq_deliver_pending(void)
{
    /* Nothing noted, the common case on every entry: one test. */
    if (!(__atomic_load_n(&noted[0], __ATOMIC_RELAXED) | __atomic_load_n(&noted[1], __ATOMIC_RELAXED) |
          __atomic_load_n(&noted[2], __ATOMIC_RELAXED) | __atomic_load_n(&noted[3], __ATOMIC_RELAXED)))
        return;
    for (unsigned w = 0; w < 4; w++) {
        if (!__atomic_load_n(&noted[w], __ATOMIC_RELAXED))
            continue;
        uint64_t m = __atomic_exchange_n(&noted[w], 0, __ATOMIC_ACQUIRE);
        for (; m; m &= m - 1) {
            unsigned v = w * 64 + (unsigned)__builtin_ctzl(m);
            if (v == VEC_IOMMU_FAULT)
                iommu_fault_serve();
            else if (v >= VEC_DEV_FIRST && v <= VEC_DEV_LAST)
                irq_deliver(irqs.by_vector[v - VEC_DEV_FIRST]);
        }
    }
}

/* A free vector, round robin, or 0. */
static unsigned irq_vector_alloc(void)
{
    for (unsigned i = 0; i < NVEC; i++) {
        unsigned v = (irqs.next_vector + i) % NVEC;
        if (!irqs.by_vector[v]) {
            irqs.next_vector = (v + 1) % NVEC;
            return VEC_DEV_FIRST + v;
        }
    }
    return 0;
}

/* Take a free slot and vector for source (kind, dev, index), route it and
 * bind it to word n with bits, or to a kernel callback fn(ctx); it starts
 * unmasked.  Errors: as irq_bind's. */
static int bind(unsigned kind, pci_addr_t dev, unsigned index, struct notify *n, uint64_t bits, void (*fn)(void *ctx),
                void *ctx, struct irq **out)
{
    if (kind != IRQ_MSI && kind != IRQ_MSIX)
        return -E_INVAL;
    struct irq *q = NULL;
    for (unsigned i = 0; i < IRQ_MAX; i++) {
        struct irq *p = &irqs.slot[i];
        if (!p->kind)
            q = q ? q : p;
        else if (p->dev == dev && (p->kind != kind || p->index == index))
            return -E_BUSY;             /* the same source, or MSI beside MSI-X */
    }
    unsigned vector = irqs.usable && q ? irq_vector_alloc() : 0;
    if (!vector)
        return -E_NOSPC;
    *q = (struct irq){.gen = q->gen, .kind = (uint8_t)kind, .masked = true, .dev = dev, .index = index,
                      .vector = vector, .irte = -1, .notify = n, .bits = bits, .fn = fn, .ctx = ctx};
    int r = irq_arch_route(q);
    if (r < 0) {
        *q = (struct irq){.gen = q->gen};
        return r;
    }
    if (n) {
        q->notify_next = n->irqs;
        n->irqs = q;
    }
    irqs.by_vector[q->vector - VEC_DEV_FIRST] = q;  /* it delivers from now on */
    irq_update_mask(q);
    *out = q;
    return 0;
}

int irq_bind(unsigned kind, pci_addr_t dev, unsigned index, struct notify *n, uint64_t bits, struct irq **out)
{
    if (!bits || (bits & ~VN_NOTIFY_BITS) || !n)
        return -E_INVAL;
    return bind(kind, dev, index, n, bits, NULL, NULL, out);
}

int irq_bind_kernel(unsigned kind, pci_addr_t dev, unsigned index, void (*fn)(void *ctx), void *ctx,
                    struct irq **out)
{
    return fn ? bind(kind, dev, index, NULL, 0, fn, ctx, out) : -E_INVAL;
}

void irq_unbind(struct irq *q)
{
    if (!q->kind)
        panic("irq_unbind: slot %ld is not bound", (long)(q - irqs.slot));
    bool last = true;
    for (unsigned i = 0; i < IRQ_MAX; i++) {
        struct irq *p = &irqs.slot[i];
        if (p != q && p->kind == q->kind && p->dev == q->dev)
            last = false;
    }
    irq_arch_unroute(q, last);
    irqs.by_vector[q->vector - VEC_DEV_FIRST] = NULL;
    __atomic_fetch_and(&noted[q->vector / 64], ~(1ul << (q->vector % 64)), __ATOMIC_RELAXED);
    if (q->notify)
        SLIST_UNLINK(&q->notify->irqs, q, notify_next);
    q->kind = 0;
    q->notify = NULL;
    q->fn = NULL;
    q->notify_next = NULL;
    q->gen++;
}

void irq_ack(struct irq *q)
{
    /* What arrived before the ack is the delivery acknowledged.  A kernel
     * callback acks from inside irq_deliver_pending, which must not
     * recurse: a copy noted meanwhile calls it once more, for nothing. */
    if (!q->fn)
        irq_deliver_pending();
    q->pending_ack = false;
    irq_update_mask(q);
}

void irq_set_mask(struct irq *q, bool masked)
{
    q->held = masked;
    irq_update_mask(q);
}

struct irq *irq_slot(unsigned i) { return i < IRQ_MAX ? &irqs.slot[i] : NULL; }

void irq_notify_gone(struct notify *n)
{
    while (n->irqs)
        irq_unbind(n->irqs);
}

void irq_unbind_dev(pci_addr_t dev)
{
    for (unsigned i = 0; i < IRQ_MAX; i++)
        if (irqs.slot[i].kind && irqs.slot[i].dev == dev)
            irq_unbind(&irqs.slot[i]);
}
