/* Hostile: execute a privileged instruction (the one named by the
 * build flags PRIV_INSN/PRIV_NAME).  Must be killed with a general protection fault. */
#include <libveneer.h>

int main(void)
{
    printf("priv_insn: executing " PRIV_NAME " in ring 3\n");
    __asm__ volatile(PRIV_INSN);
    printf("priv_insn: FAIL survived " PRIV_NAME "\n");
    return 1;
}
