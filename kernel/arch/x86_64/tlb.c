/*
 * TLB shootdown.  The sender holds the big kernel lock, so there is one
 * request at a time: it posts the address, flags each target CPU, sends
 * the IPI and spins until all have acknowledged.  Targets serve the
 * request in the IPI handler (any mode, never taking the lock) or, if
 * they are spinning for a lock with interrupts off, from the spin loop
 * (arch_poll_ipis).  The shared tier (klock.h) never sends one.
 */
#include "lapic.h"
#include "percpu.h"
#include "tlb.h"
#include "x86.h"

static struct {
    volatile uint64_t va;
    volatile unsigned pending;  /* targets yet to acknowledge */
} sd;

void tlb_serve(void)
{
    struct percpu *c = this_cpu();
    if (!__atomic_exchange_n(&c->tlb_pending, 0, __ATOMIC_ACQ_REL))
        return;
    if (sd.va == TLB_FLUSH_ALL)
        write_cr3(read_cr3());
    else
        invlpg(sd.va);
    __atomic_fetch_sub(&sd.pending, 1, __ATOMIC_RELEASE);
}

void arch_poll_ipis(void)
{
    tlb_serve();
    __asm__ volatile("pause");
}

void tlb_shootdown(uint64_t mask, uint64_t va)
{
    if (!mask)
        return;
    sd.va = va;
    for (unsigned i = 0; i < ncpus; i++) {
        if (!(mask & (1ul << i)))
            continue;
        __atomic_fetch_add(&sd.pending, 1, __ATOMIC_ACQ_REL);
        __atomic_store_n(&cpus[i].tlb_pending, 1, __ATOMIC_RELEASE);
        lapic_send_ipi(cpus[i].apic_id, VEC_IPI_TLB);
    }
    while (__atomic_load_n(&sd.pending, __ATOMIC_ACQUIRE))
        __asm__ volatile("pause");
}
