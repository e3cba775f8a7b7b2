/*
 * Bringing up every CPU the MADT lists.  The boot CPU copies the
 * trampoline below 1 MiB, and for each AP allocates a kernel stack and
 * IST stacks, sends INIT-SIPI-SIPI and waits for it to check in.  An AP
 * finishes its own setup in ap_main() and joins the scheduler by taking
 * the big kernel lock.
 */
#include "../../boot_info.h"
#include "../../console.h"
#include "../../env.h"
#include "../../klib.h"
#include "../../klock.h"
#include "../../panic.h"
#include "../../pmem.h"
#include "acpi.h"
#include "x86.h"

#define AP_TRAMPOLINE 0x8000
#define AP_STACK_PAGES 4
#define AP_START_WAIT_MS 2000   /* an emulator on a loaded host can be slow to start a CPU */
/* cpus[i].started: the boot CPU and the AP agree on it by compare-and-swap,
 * so an AP that starts after the boot CPU gave up never runs. */
enum { AP_WAITING = 0, AP_STARTED = 1, AP_ABANDONED = 2, AP_PARKED = 3 };

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_cr3[], ap_tramp_stack[], ap_tramp_entry[], ap_tramp_arg[];
extern char boot_pml4[];        /* linked at its physical address */

static uint64_t ap_kstack[MAX_CPUS], ap_ist[MAX_CPUS];


static void ap_main(uint64_t idx) __attribute__((noreturn));
static void ap_main(uint64_t idx)
{
    write_cr3(paging_kernel_root());
    cpu_init_one((unsigned)idx, ap_kstack[idx], ap_ist[idx]);
    lapic_init_cpu();
    cpus[idx].apic_id = lapic_id();
    uint32_t waiting = AP_WAITING;
    if (!__atomic_compare_exchange_n(&cpus[idx].started, &waiting, AP_STARTED, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&cpus[idx].started, AP_PARKED, __ATOMIC_RELEASE);
        for (;;)
            __asm__ volatile("cli; hlt");   /* the boot CPU gave up on us: never join */
    }
    kernel_lock();
    sched_run();
}

/* Where a trampoline data word lives once copied. */
static uint64_t *tramp_word(char *sym)
{
    return P2V(AP_TRAMPOLINE + (uint64_t)(sym - ap_tramp_start));
}

void arch_print_cpu_stats(void)
{
    for (unsigned i = 0; i < ncpus; i++)
        kprintf("cpu %u: %lu timer interrupts\n", i, cpus[i].ticks);
}

void smp_boot(void)
{
    uint32_t ids[MAX_CPUS];
    paddr_t lapic_pa = 0xfee00000;
    int n = acpi_cpus(ids, MAX_CPUS, &lapic_pa);
    lapic_init_bsp(lapic_pa);
    cpus[0].apic_id = lapic_id();
    if (n <= 1) {
        kprintf("smp: 1 CPU\n");
        return;
    }
    if (vm_kernel_map_phys(AP_TRAMPOLINE, PAGE_SIZE) < 0)
        panic("smp: cannot map the trampoline page");
    memcpy(P2V(AP_TRAMPOLINE), ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    *tramp_word(ap_tramp_cr3) = (uint64_t)boot_pml4;
    *tramp_word(ap_tramp_entry) = (uint64_t)ap_main;
    /* Tests (smp_ap.t): smp_test=dead sends the first AP nothing, as if it
     * never came up; smp_test=late gives up on it at once, so that it
     * starts after the boot CPU did. */
    char test[8] = "";
    cmdline_get("smp_test", test, sizeof(test));
    for (int i = 0; i < n && ncpus < MAX_CPUS; i++) {
        if (ids[i] == cpus[0].apic_id)
            continue;
        unsigned idx = ncpus;
        paddr_t st = page_alloc_contig(AP_STACK_PAGES + 3);
        if (!st)
            panic("smp: no memory for CPU stacks");
        ap_ist[idx] = (uint64_t)P2V(st);
        ap_kstack[idx] = (uint64_t)P2V(st) + (AP_STACK_PAGES + 3) * PAGE_SIZE;
        *tramp_word(ap_tramp_stack) = ap_kstack[idx];
        *tramp_word(ap_tramp_arg) = idx;
        bool dead = strcmp(test, "dead") == 0, late = strcmp(test, "late") == 0;
        if (late)               /* given up on before it starts */
            __atomic_store_n(&cpus[idx].started, AP_ABANDONED, __ATOMIC_RELEASE);
        if (!dead) {
            lapic_send_init(ids[i]);
            udelay(10000);
            lapic_send_startup(ids[i], AP_TRAMPOLINE >> 12);
            udelay(200);
        }
        if (!dead && !__atomic_load_n(&cpus[idx].started, __ATOMIC_ACQUIRE))
            lapic_send_startup(ids[i], AP_TRAMPOLINE >> 12);
        for (int t = 0; t < AP_START_WAIT_MS * 10 && __atomic_load_n(&cpus[idx].started, __ATOMIC_ACQUIRE) !=
                        (late ? AP_PARKED : AP_STARTED); t++)
            udelay(100);
        uint32_t waiting = AP_WAITING;
        if (!__atomic_compare_exchange_n(&cpus[idx].started, &waiting, AP_ABANDONED, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE) && waiting == AP_STARTED) {
            ncpus++;            /* it started (now or earlier) */
            continue;
        }
        /* Its trampoline data and stack stay its own if it wakes later:
         * start no more CPUs. */
        kprintf("smp: CPU with APIC id %u %s; no more CPUs started\n", ids[i],
                waiting == AP_PARKED ? "started after we gave up on it: parked" : "did not start");
        break;
    }
    kprintf("smp: %u CPU%s\n", ncpus, ncpus == 1 ? "" : "s");
}
