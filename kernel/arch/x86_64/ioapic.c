/*
 * I/O APICs: each of the MADT's is mapped uncached at boot and every one
 * of its pins masked, so that nothing the firmware left routed reaches a
 * CPU.  Pins are never routed afterwards: device INTx routing is in AML,
 * and drivers use MSI or MSI-X (irq.h).  A redirection entry is 64 bits,
 * reached through the index register (IOREGSEL) and the data window
 * (IOWIN), low half at 0x10 + 2 * pin, mask bit 16.
 */
#include "../../console.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "acpi.h"

#define IOREGSEL 0              /* in 32-bit words */
#define IOWIN    4
#define REG_VER  0x01
#define REG_RTE(pin) (0x10 + 2 * (pin))
#define RTE_MASK (1u << 16)

void ioapic_init(void)
{
    const struct acpi_devices *d = acpi_devices_init();
    for (unsigned k = 0; k < d->nioapics; k++) {
        const struct acpi_ioapic *a = &d->ioapics[k];
        if (vm_kernel_map_mmio(a->addr, 4096) < 0) {
            kprintf("ioapic: id %u at %x cannot be mapped; its pins stay as the firmware left them\n", a->id,
                    a->addr);
            continue;
        }
        volatile uint32_t *regs = P2V(a->addr);
        regs[IOREGSEL] = REG_VER;
        unsigned pins = ((regs[IOWIN] >> 16) & 0xff) + 1;
        for (unsigned p = 0; p < pins; p++) {
            regs[IOREGSEL] = REG_RTE(p);
            regs[IOWIN] = RTE_MASK;
            regs[IOREGSEL] = REG_RTE(p) + 1;
            regs[IOWIN] = 0;
        }
        kprintf("ioapic: id %u: %u pins (gsi %u-%u), all masked\n", a->id, pins, a->gsi_base, a->gsi_base + pins - 1);
    }
}
