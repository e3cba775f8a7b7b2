/*
 * Device interrupts from user space, with QEMU's edu (one MSI): an
 * interrupt capability binds edu's MSI to a notification word; each
 * interrupt arrives once and the source stays masked until irq_ack, so a
 * storm costs its holder at most one delivery per acknowledgement while a
 * spinning neighbour on the same CPU keeps its time slices.  Hostile
 * cases: binding without control, twice, to a word without the signal
 * right, a stale interrupt capability after a reset, bits out of range.
 *
 * mode 0: the test.  mode 1: the neighbour, counting in a shared page.
 */
#include <veneer/dev.h>
#include "check.h"

int main(uint64_t mode, uint64_t arg1);

static volatile uint32_t *edu;

static capref_t find_edu(void)
{
    for (uint64_t i = 0; i < vn_sysinfo->ndevices; i++) {
        struct vn_devinfo di;
        capref_t c = (capref_t)(VN_CAP_DEV_FIRST + i);
        if (vn_dev_info(c, &di) == 0 && di.vendor == 0x1234 && di.device == 0x11e8)
            return c;
    }
    return -1;
}

/* Raise edu's interrupt with status bit v and wait (bounded) for the word. */
static long raise_and_wait(capref_t word, uint32_t v)
{
    edu[0x60 / 4] = v;
    return vn_notify_wait(word, 2000000000ul);
}

static int neighbour(void)
{
    struct vn_map_entry m = {0x500000000ul, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 1;
    volatile uint64_t *count = (volatile uint64_t *)m.va;
    for (;;)
        count[0]++;
}

int main(uint64_t mode, uint64_t arg1)
{
    (void)arg1;
    if (mode == 1)
        return neighbour();
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t dev = find_edu();
    CHECK(dev >= 0);
    if (dev < 0)
        return check_done("dev_irq");
    long regs = vn_dev_regs(dev, 0, CR_READ | CR_WRITE | CR_MAP);
    CHECK(regs > 0);
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, (capref_t)regs, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    edu = (volatile uint32_t *)va;
    long word = vn_notify_create(), other = vn_notify_create();
    CHECK(word > 0 && other > 0);

    /* Hostile binding attempts. */
    long weak = vn_cap_derive(dev, CR_READ | CR_WRITE | CR_MAP);
    long mute = vn_cap_derive((capref_t)word, CR_READ);
    CHECK(weak > 0 && mute > 0);
    CHECK_EQ(vn_dev_irq((capref_t)weak, VN_IRQ_MSI, 0, (capref_t)word, 1), -E_PERM);
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)mute, 1), -E_PERM);
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)word, 0), -E_INVAL);
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)word, 1ul << 63), -E_INVAL);
    CHECK_EQ(vn_dev_irq(dev, 7, 0, (capref_t)word, 1), -E_INVAL);
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSIX, 0, (capref_t)word, 1), -E_INVAL);   /* edu has no MSI-X */
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSI, 1, (capref_t)word, 1), -E_INVAL);    /* one vector only */
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSI, 0, CAP_SELF, 1), -E_TYPE);

    /* MSIs are memory writes: they need bus mastering, hence the domain. */
    CHECK_EQ(vn_dev_cfg_write(dev, 4, 2, VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF), 0);
    long irq = vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)word, 0x10);
    CHECK(irq > 0);
    CHECK_EQ(vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)other, 1), -E_BUSY);
    CHECK_EQ(vn_dev_irq((capref_t)weak, VN_IRQ_MSI, 0, (capref_t)word, 1), -E_PERM);
    CHECK_EQ(vn_irq_ack((capref_t)word), -E_TYPE);
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info((capref_t)irq, &ci), 0);
    CHECK_EQ(ci.type, CAP_IRQ);
    CHECK(ci.object >= 0x30 && ci.object < 0xe0);

    /* One interrupt, one delivery; masked until acknowledged. */
    CHECK_EQ(raise_and_wait((capref_t)word, 1), 0x10);
    edu[0x64 / 4] = 1;
    for (int i = 0; i < 1000; i++)                      /* a storm before the ack */
        edu[0x60 / 4] = 2;
    CHECK_EQ(vn_notify_wait((capref_t)word, 50000000ul), -E_TIMEOUT);
    CHECK_EQ(vn_cap_info((capref_t)irq, &ci), 0);
    CHECK_EQ(ci.count, 1);
    edu[0x64 / 4] = 2;
    CHECK_EQ(vn_irq_ack((capref_t)irq), 0);
    CHECK_EQ(raise_and_wait((capref_t)word, 4), 0x10);
    edu[0x64 / 4] = 4;
    /* The holder's mask outlasts an ack. */
    CHECK_EQ(vn_irq_mask((capref_t)irq, 1), 0);
    CHECK_EQ(vn_irq_ack((capref_t)irq), 0);
    CHECK_EQ(raise_and_wait((capref_t)word, 8), -E_TIMEOUT);
    edu[0x64 / 4] = 8;
    CHECK_EQ(vn_irq_mask((capref_t)irq, 0), 0);
    CHECK_EQ(vn_irq_ack((capref_t)irq), 0);
    CHECK_EQ(raise_and_wait((capref_t)word, 1), 0x10);
    edu[0x64 / 4] = 1;
    CHECK_EQ(vn_irq_ack((capref_t)irq), 0);

    /* A storm with acks, while a neighbour spins on this CPU: every round
     * trip delivers, and the neighbour keeps running. */
    long shared = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(shared > 0);
    uint64_t sva = vn_va_reserve(1);
    struct vn_map_entry sm = {sva, (capref_t)shared, VM_PROT_WRITE, 0};
    CHECK_EQ(vn_page_map(CAP_SELF, &sm, 1), 1);
    volatile uint64_t *count = (volatile uint64_t *)sva;
    capref_t kid = vn_spawn_share("dev_irq", 64, 1, 0, (capref_t)shared, CR_READ | CR_WRITE | CR_MAP);
    CHECK(kid > 0);
    uint64_t until = vn_clock_ns() + 1000000000ul;
    while (count[0] == 0 && vn_clock_ns() < until)
        vn_yield();
    uint64_t before = count[0], delivered = 0, t0 = rdtsc();
    for (int i = 0; i < 2000; i++) {
        delivered += raise_and_wait((capref_t)word, 1) == 0x10;
        edu[0x64 / 4] = 1;
        vn_irq_ack((capref_t)irq);
    }
    uint64_t per = (rdtsc() - t0) / 2000;
    CHECK_EQ(delivered, 2000);
    CHECK(count[0] > before);
    printf("dev_irq: 2000 interrupt round trips (raise, MSI, word, ack), %lu instructions each; "
           "the neighbour counted %lu meanwhile\n", per, count[0] - before);
    vn_kill(kid);

    /* Reset: the interrupt capability is dead, the word hears nothing. */
    CHECK_EQ(vn_dev_reset(dev), 0);
    CHECK_EQ(vn_irq_ack((capref_t)irq), -E_NOENT);
    CHECK_EQ(vn_irq_mask((capref_t)irq, 0), -E_NOENT);
    CHECK_EQ(vn_notify_poll((capref_t)word), 0);
    /* Bound again, then the word goes: the binding goes with it. */
    CHECK_EQ(vn_dev_cfg_write(dev, 4, 2, VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF), 0);
    long irq2 = vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)other, 1);
    CHECK(irq2 > 0);
    CHECK_EQ(vn_cap_delete((capref_t)other), 0);
    CHECK_EQ(vn_irq_ack((capref_t)irq2), -E_NOENT);
    long irq3 = vn_dev_irq(dev, VN_IRQ_MSI, 0, (capref_t)word, 2);      /* the vector is free again */
    CHECK(irq3 > 0);
    CHECK_EQ(raise_and_wait((capref_t)word, 1), 2);
    edu[0x64 / 4] = 1;
    CHECK_EQ(vn_cap_delete((capref_t)dev), 0);                           /* the holder lets go: reset */
    CHECK_EQ(vn_irq_ack((capref_t)irq3), -E_NOENT);                      /* the reset unbound it */
    CHECK_EQ(vn_cap_delete((capref_t)word), 0);
    CHECK_EQ(vn_cap_delete((capref_t)shared), 0);
    CHECK(labs(pages_unaccounted(free0, held0)) <= SLAB_SLACK);
    return check_done("dev_irq");
}
