/*
 * The first environment of a plain boot.  For now it greets and exits;
 * later it receives the root capabilities and starts the libOSes.
 */
#include <libveneer.h>

int main(void)
{
    printf("init: hello from user mode (ring 3), via the cons_write syscall\n");
    return 0;
}
