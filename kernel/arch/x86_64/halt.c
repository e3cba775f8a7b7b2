/*
 * Stopping the machine.  Under QEMU the isa-debug-exit device (port 0xf4)
 * ends the emulator with status (code << 1) | 1; on real hardware (or
 * without the device) the CPU halts with interrupts off.
 */
#include "x86.h"

void arch_halt(int code)
{
    outl(0xf4, (uint32_t)code);
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}
