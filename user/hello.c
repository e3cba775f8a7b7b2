/* A second, trivial program: proves the kernel keeps running others. */
#include <libveneer.h>

int main(void)
{
    printf("hello: still running after the others\n");
    return 0;
}
