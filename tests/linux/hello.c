/* An ordinary Linux program, built with musl-gcc -static: run unmodified
 * by the POSIX libOS through syscall reflection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *buf = malloc(100000);     /* brk or mmap */
    memset(buf, 'x', 100000);
    printf("hello from a static musl binary: argc=%d argv[0]=%s pid=%d\n", argc, argv[0], (int)getpid());
    for (int i = 0; i < 3; i++)
        printf("line %d, heap byte %c\n", i, buf[99999 - i]);
    free(buf);
    return 7;
}
