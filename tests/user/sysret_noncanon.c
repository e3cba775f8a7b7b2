/*
 * Hostile: the sysret trap.  A `syscall` in the last two bytes of the
 * canonical user half leaves rcx = 0x800000000000 (non-canonical); on Intel
 * CPUs a sysretq to it would fault in ring 0 with the user's stack.  The
 * kernel must notice and treat it as this program's own fault.
 */
#include <libveneer.h>
#include <vn.h>

/* An executable page placed at 0x7ffffffff000 by the link flags, ending
 * in nop; syscall (the syscall is the last two bytes of user space). */
__asm__(".pushsection .edge, \"ax\", @progbits\n"
        ".balign 4096\n"
        ".skip 4093, 0xcc\n"
        "nop\n"
        "syscall\n"
        ".popsection");

/* arg0 0: first a child of ourselves (arg0 1) makes the call as `null`,
 * which the kernel serves on its lock-free tier (trapentry.S), then we
 * make it as a number the kernel does not know (the general path). */
int main(uint64_t arg0, uint64_t arg1);
int main(uint64_t arg0, uint64_t arg1)
{
    (void)arg1;
    void (*f)(void) = (void (*)(void))(0x7ffffffff000ul + 4093);
    uint64_t num = arg0 ? SYS_null : 3;
    if (!arg0) {
        capref_t child = vn_spawn("sysret_noncanon", 256, 1, 0);
        int st = child < 0 ? (int)child : vn_wait(child);
        if (st != -1)
            printf("sysret_noncanon: FAIL the null child was not killed (%d)\n", st);
    }
    printf("sysret_noncanon: syscall %lu at %p returns to a non-canonical rip\n", num, (void *)(f + 1));
    __asm__ volatile("call *%1" : "+a"(num) : "r"(f) : "rcx", "r11", "memory");
    printf("sysret_noncanon: FAIL came back\n");
    return 1;
}
