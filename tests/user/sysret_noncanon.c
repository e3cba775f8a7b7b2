/*
 * Hostile: the sysret trap.  A `syscall` in the last two bytes of the
 * canonical user half leaves rcx = 0x800000000000 (non-canonical); on Intel
 * CPUs a sysretq to it would fault in ring 0 with the user's stack.  The
 * kernel must notice and treat it as this program's own fault.
 */
#include <libveneer.h>

/* An executable page placed at 0x7ffffffff000 by the link flags, ending
 * in nop; syscall (the syscall is the last two bytes of user space). */
__asm__(".pushsection .edge, \"ax\", @progbits\n"
        ".balign 4096\n"
        ".skip 4093, 0xcc\n"
        "nop\n"
        "syscall\n"
        ".popsection");

int main(void)
{
    void (*f)(void) = (void (*)(void))(0x7ffffffff000ul + 4093);
    printf("sysret_noncanon: syscall at %p returns to a non-canonical rip\n", (void *)(f + 1));
    __asm__ volatile("mov $3, %%eax\n call *%0" : : "r"(f) : "rax", "rcx", "r11", "memory");
    printf("sysret_noncanon: FAIL came back\n");
    return 1;
}
