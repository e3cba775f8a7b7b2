/*
 * Local APIC: per-CPU interrupt controller, timer and inter-processor
 * interrupts.  x2APIC (MSRs) when the CPU has it, else xAPIC (MMIO).
 */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VEC_TIMER    0x20
#define VEC_DEV_FIRST 0x30  /* device interrupts (irq.c's pool) ... */
#define VEC_DEV_LAST  0xdf  /* ... through this one */
#define VEC_IOMMU_FAULT 0xe0 /* the IOMMU's fault event (vtd.c) */
#define VEC_IPI_WAKE 0xf0   /* reschedule / leave idle */
#define VEC_IPI_TLB  0xf1   /* TLB shootdown */
#define VEC_SPURIOUS 0xff

/* Boot CPU: choose the mode, map registers, calibrate TSC and timer. */
void lapic_init_bsp(uint64_t lapic_pa);
/* Every CPU: enable the APIC, mask the timer. */
void lapic_init_cpu(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Fixed-vector IPI to one CPU; INIT and STARTUP for bring-up. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);
/* One timer interrupt (VEC_TIMER) after ns nanoseconds; 0 cancels. */
void lapic_timer_oneshot(uint64_t ns);
/* TSC ticks per second, measured at boot. */
uint64_t tsc_hz(void);
/* Busy-wait (for bring-up delays). */
void udelay(uint64_t us);

#endif
