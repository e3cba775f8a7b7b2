/* Hostile: write the physmap (all of RAM).  Must be killed. */
#include <libveneer.h>

int main(void)
{
    volatile uint64_t *k = (volatile uint64_t *)0xffff800000100000ul;
    printf("fault_kwrite: writing physmap at %p\n", (void *)k);
    *k = 0xdeadbeef;
    printf("fault_kwrite: FAIL wrote kernel memory\n");
    return 1;
}
