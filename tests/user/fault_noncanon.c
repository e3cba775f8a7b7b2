/* Hostile: jump to a non-canonical address.  Must be killed. */
#include <libveneer.h>

int main(void)
{
    void (*f)(void) = (void (*)(void))0x8000000000000000ul;
    printf("fault_noncanon: jumping to %p\n", (void *)f);
    f();
    printf("fault_noncanon: FAIL returned\n");
    return 1;
}
