/*
 * Local APIC driver.  The TSC and the APIC timer are calibrated once
 * against the PIT (channel 2, 10 ms).  The timer uses TSC-deadline mode
 * when the CPU offers it, else one-shot mode with the calibrated rate.
 */
#include "../../console.h"
#include "../../panic.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "lapic.h"
#include "x86.h"

#define MSR_APIC_BASE    0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define REG_ID      0x20
#define REG_TPR     0x80
#define REG_EOI     0xb0
#define REG_SVR     0xf0
#define REG_ICR_LO  0x300
#define REG_ICR_HI  0x310
#define REG_LVT_TMR 0x320
#define REG_TMR_INIT 0x380
#define REG_TMR_CUR 0x390
#define REG_TMR_DIV 0x3e0

static bool x2;
static volatile uint32_t *mmio;
static bool deadline_mode;
static uint64_t tsc_rate, apic_rate;    /* ticks per second */

static uint32_t rd(uint32_t reg) { return x2 ? (uint32_t)rdmsr(0x800 + reg / 16) : mmio[reg / 4]; }

static void wr(uint32_t reg, uint32_t v)
{
    if (x2)
        wrmsr(0x800 + reg / 16, v);
    else
        mmio[reg / 4] = v;
}

uint64_t tsc_hz(void) { return tsc_rate; }

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_rate / 1000000 * us;
    while (rdtsc() < end)
        __asm__ volatile("pause");
}

/* Measure TSC and APIC-timer rates over 10 ms of PIT channel 2. */
static void calibrate(void)
{
    wr(REG_TMR_DIV, 0x3);                       /* divide by 16 */
    wr(REG_LVT_TMR, 1u << 16);                  /* masked, one-shot */
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);     /* gate on, speaker off */
    outb(0x43, 0xb0);                           /* channel 2, lo/hi, mode 0 */
    uint16_t count = 11932;                     /* 1193182 Hz / 100 */
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    outb(0x61, inb(0x61) & ~0x01);              /* restart the count */
    outb(0x61, inb(0x61) | 0x01);
    uint64_t t0 = rdtsc();
    wr(REG_TMR_INIT, 0xffffffff);
    while (!(inb(0x61) & 0x20))
        ;
    uint64_t t1 = rdtsc();
    uint32_t left = rd(REG_TMR_CUR);
    wr(REG_TMR_INIT, 0);
    tsc_rate = (t1 - t0) * 100;
    apic_rate = (uint64_t)(0xffffffffu - left) * 100;
}

void lapic_init_bsp(uint64_t lapic_pa)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    x2 = c & (1u << 21);
    deadline_mode = c & (1u << 24);
    if (!x2) {
        if (vm_kernel_map_mmio(lapic_pa, 4096) < 0)
            panic("lapic: cannot map registers at %lx", lapic_pa);
        mmio = P2V(lapic_pa);
    }
    lapic_init_cpu();
    calibrate();
    kprintf("lapic: %s, timer %s, TSC %lu MHz, APIC timer %lu MHz\n", x2 ? "x2APIC" : "xAPIC",
            deadline_mode ? "TSC-deadline" : "one-shot", tsc_rate / 1000000, apic_rate / 1000000);
}

void lapic_init_cpu(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE) | (1ul << 11);
    if (x2)
        base |= 1ul << 10;
    wrmsr(MSR_APIC_BASE, base);
    wr(REG_TPR, 0);
    wr(REG_SVR, 0x100 | VEC_SPURIOUS);
    wr(REG_TMR_DIV, 0x3);                       /* divide by 16, as calibrated */
    wr(REG_LVT_TMR, (1u << 16) | VEC_TIMER);
}

uint32_t lapic_id(void) { return x2 ? rd(REG_ID) : rd(REG_ID) >> 24; }

void lapic_eoi(void) { wr(REG_EOI, 0); }

static void send(uint32_t apic_id, uint32_t icr)
{
    if (x2) {
        wrmsr(0x830, ((uint64_t)apic_id << 32) | icr);
        return;
    }
    wr(REG_ICR_HI, apic_id << 24);
    wr(REG_ICR_LO, icr);
    while (rd(REG_ICR_LO) & (1u << 12))
        __asm__ volatile("pause");
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector) { send(apic_id, vector); }

void lapic_send_init(uint32_t apic_id) { send(apic_id, 0x4500); }

void lapic_send_startup(uint32_t apic_id, uint8_t page) { send(apic_id, 0x4600 | page); }

void lapic_timer_oneshot(uint64_t ns)
{
    if (deadline_mode) {
        wr(REG_LVT_TMR, (2u << 17) | VEC_TIMER);
        wrmsr(MSR_TSC_DEADLINE, ns ? rdtsc() + ns * (tsc_rate / 1000000) / 1000 + 1 : 0);
        return;
    }
    wr(REG_LVT_TMR, VEC_TIMER);
    uint64_t count = ns * (apic_rate / 1000000) / 1000;
    wr(REG_TMR_INIT, ns ? (uint32_t)(count ? (count > 0xffffffffu ? 0xffffffffu : count) : 1) : 0);
}
