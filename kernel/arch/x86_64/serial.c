/*
 * COM1 (16550 UART at 0x3f8): the kernel console.  Polled output, so it
 * works from the first line of kernel_main to the last line of a panic.
 */
#include "x86.h"

#define COM1 0x3f8

/* Program COM1 for 115200 8N1 with FIFOs on and interrupts off. */
void arch_console_init(void)
{
    outb(COM1 + 1, 0x00);       /* no interrupts */
    outb(COM1 + 3, 0x80);       /* DLAB */
    outb(COM1 + 0, 0x01);       /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);       /* 8N1 */
    outb(COM1 + 2, 0xc7);       /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + 4, 0x03);       /* DTR, RTS */
}

void arch_console_putc(char c)
{
    if (c == '\n')
        arch_console_putc('\r');
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        ;
    outb(COM1, (uint8_t)c);
}

/* Returns the next received byte, or -1 if none is waiting. */
int arch_console_getc(void)
{
    if (!(inb(COM1 + 5) & 0x01))
        return -1;
    return inb(COM1);
}
