/* t_cow: fork gives the child a private copy of memory (copy-on-write).
 * Parent and child both write the same global array, heap buffer, stack
 * buffer and a 1 MiB heap buffer after fork; each must see only its own
 * writes. The child checks its view and reports a bit mask of failures
 * through a pipe; the parent checks its own view after the child is done. */
#include "check.h"
#include <stdint.h>
#include <sys/wait.h>

#define GSIZE 8192
#define BIG (1 << 20)

static unsigned char global_arr[GSIZE] = { 1 }; /* .data */
static unsigned char bss_arr[GSIZE];            /* .bss */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7 + (i >> 12));
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7 + (i >> 12)))
            return 0;
    return 1;
}

/* Touch one byte per page so every page is written. */
static void touch_pages(unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i += 4096)
        p[i] = v;
}

static int pages_are(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i += 4096)
        if (p[i] != v)
            return 0;
    return 1;
}

int main(void)
{
    unsigned char stack_arr[4096 * 3];
    unsigned char *heap = malloc(GSIZE);
    unsigned char *big = malloc(BIG);
    int status;
    int p[2], go[2];

    if (!CHECK(heap && big, "malloc small and 1 MiB buffers"))
        return check_done("t_cow");
    fill(global_arr, GSIZE, 1);
    fill(bss_arr, GSIZE, 2);
    fill(heap, GSIZE, 3);
    fill(stack_arr, sizeof stack_arr, 4);
    fill(big, BIG, 5);

    if (!CHECK(pipe(p) == 0 && pipe(go) == 0, "pipes"))
        return check_done("t_cow");

    pid_t pid = fork();
    if (pid == 0) {
        /* Child: overwrite everything with its own pattern, wait until the
         * parent has written its pattern, then check we still see ours. */
        unsigned mask = 0;
        char c;
        close(p[0]);
        close(go[1]);
        /* Before writing: the child sees the pre-fork data. */
        if (!same(global_arr, GSIZE, 1) || !same(heap, GSIZE, 3) || !same(big, BIG, 5))
            mask |= 1u << 0;
        fill(global_arr, GSIZE, 101);
        fill(bss_arr, GSIZE, 102);
        fill(heap, GSIZE, 103);
        fill(stack_arr, sizeof stack_arr, 104);
        touch_pages(big, BIG, 0xC1);
        if (read(go[0], &c, 1) != 1) /* parent has written its data */
            mask |= 1u << 1;
        if (!same(global_arr, GSIZE, 101)) mask |= 1u << 2;
        if (!same(bss_arr, GSIZE, 102)) mask |= 1u << 3;
        if (!same(heap, GSIZE, 103)) mask |= 1u << 4;
        if (!same(stack_arr, sizeof stack_arr, 104)) mask |= 1u << 5;
        if (!pages_are(big, BIG, 0xC1)) mask |= 1u << 6;
        if (write(p[1], &mask, sizeof mask) != (ssize_t)sizeof mask)
            _exit(2);
        _exit(0);
    }
    CHECK(pid > 0, "fork");
    close(p[1]);
    close(go[0]);

    /* Parent: write its own pattern while the child holds its copy. */
    fill(global_arr, GSIZE, 201);
    fill(bss_arr, GSIZE, 202);
    fill(heap, GSIZE, 203);
    fill(stack_arr, sizeof stack_arr, 204);
    touch_pages(big, BIG, 0xA7);
    CHECK(write(go[1], "g", 1) == 1, "parent tells child it has written");

    unsigned mask = ~0u;
    ssize_t n = read(p[0], &mask, sizeof mask);
    pid_t w = waitpid(pid, &status, 0);
    CHECK(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exits normally");
    CHECK(n == (ssize_t)sizeof mask, "child reported its view");
    CHECK(!(mask & 1), "child sees pre-fork data before writing");
    CHECK(!(mask & 2), "child got the go signal");
    CHECK(!(mask & 4), "child sees only its own writes to a global (.data) array");
    CHECK(!(mask & 8), "child sees only its own writes to a .bss array");
    CHECK(!(mask & 16), "child sees only its own writes to a heap buffer");
    CHECK(!(mask & 32), "child sees only its own writes to a stack buffer");
    CHECK(!(mask & 64), "child sees only its own writes to a 1 MiB buffer");

    CHECK(same(global_arr, GSIZE, 201), "parent sees only its own writes to a global (.data) array");
    CHECK(same(bss_arr, GSIZE, 202), "parent sees only its own writes to a .bss array");
    CHECK(same(heap, GSIZE, 203), "parent sees only its own writes to a heap buffer");
    CHECK(same(stack_arr, sizeof stack_arr, 204), "parent sees only its own writes to a stack buffer");
    CHECK(pages_are(big, BIG, 0xA7), "parent sees only its own writes to a 1 MiB buffer");

    /* A second fork where only the child writes: the parent's data must be
     * untouched (the child exits before the parent looks). */
    fill(big, BIG, 9);
    pid = fork();
    if (pid == 0) {
        fill(big, BIG, 99);
        memset(global_arr, 0xEE, GSIZE);
        _exit(same(big, BIG, 99) ? 0 : 1);
    }
    w = waitpid(pid, &status, 0);
    CHECK(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "child rewrote the whole 1 MiB buffer");
    CHECK(same(big, BIG, 9), "parent's 1 MiB buffer unchanged by child's writes");
    CHECK(same(global_arr, GSIZE, 201), "parent's global unchanged by child's memset");

    free(heap);
    free(big);
    return check_done("t_cow");
}
