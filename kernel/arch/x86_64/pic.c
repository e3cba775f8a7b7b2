/*
 * The legacy 8259 PICs are left initialised by the firmware with IRQs on
 * vectors that collide with CPU exceptions.  Remap them to 0x20-0x2f and
 * mask every line (device interrupts will come through the APICs).
 */
#include "x86.h"

void pic_disable(void)
{
    outb(0x20, 0x11);   /* ICW1: init, expect ICW4 */
    outb(0xa0, 0x11);
    outb(0x21, 0x20);   /* ICW2: vector bases */
    outb(0xa1, 0x28);
    outb(0x21, 0x04);   /* ICW3: cascade on IRQ2 */
    outb(0xa1, 0x02);
    outb(0x21, 0x01);   /* ICW4: 8086 mode */
    outb(0xa1, 0x01);
    outb(0x21, 0xff);   /* mask all */
    outb(0xa1, 0xff);
}
