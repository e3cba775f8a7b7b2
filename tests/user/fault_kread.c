/* Hostile: read kernel memory (the kernel image).  Must be killed. */
#include <libveneer.h>

int main(void)
{
    volatile uint64_t *k = (volatile uint64_t *)0xffffffff80200000ul;
    printf("fault_kread: reading kernel memory at %p\n", (void *)k);
    uint64_t v = *k;
    printf("fault_kread: FAIL read %lx\n", v);
    return 1;
}
