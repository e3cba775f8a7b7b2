/* Host test of lib/posix/pathjoin.c: joins, ".", "..", slashes, the
 * root, limits, and the mounts test. */
#include <stdio.h>
#include <string.h>

#include "../../lib/posix/pathjoin.h"

static int failures;

static void join_is(const char *base, const char *path, const char *want)
{
    char abs[64];
    long r = path_join(base, path, abs, sizeof(abs));
    if (r != 0 || strcmp(abs, want)) {
        printf("FAIL: join(%s, %s) = %ld \"%s\", want \"%s\"\n", base, path, r, r ? "" : abs, want);
        failures++;
    }
}

int main(void)
{
    join_is("/", "a", "/a");
    join_is("/root", "x", "/root/x");
    join_is("/root", "/etc/passwd", "/etc/passwd");
    join_is("/root/p", "../q", "/root/q");
    join_is("/root", "../../..", "/");
    join_is("/", "..", "/");
    join_is("/a/b", ".", "/a/b");
    join_is("/a/b", "", "/a/b");
    join_is("/a", "b//c/./d/", "/a/b/c/d");
    join_is("/a", "b/../../c", "/c");
    join_is("//x//", "y", "/x/y");
    join_is("/", "...", "/...");
    join_is("/", "..a/.b", "/..a/.b");
    join_is("/bin", "../root", "/root");
    /* limits: 63 bytes fit in 64, 64 do not */
    char abs[64], big[80];
    memset(big, 'a', sizeof(big));
    big[62] = 0;
    if (path_join("/", big, abs, sizeof(abs)) != 0 || strlen(abs) != 63) {
        printf("FAIL: a 63-byte result\n");
        failures++;
    }
    big[62] = 'a';
    big[63] = 0;
    if (path_join("/", big, abs, sizeof(abs)) != -36) {
        printf("FAIL: a 64-byte result fits\n");
        failures++;
    }
    if (path_join("/", "a", abs, 1) != -36) {
        printf("FAIL: max 1\n");
        failures++;
    }
    static const char *const m[] = {"/bin", "/dev", "/proc"};
    const char *in[] = {"/bin", "/bin/ls", "/dev/null", "/proc/1/stat"};
    const char *out[] = {"/", "/binx", "/root/bin", "/devices", "/b"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        if (!path_under(in[i], m, 3)) {
            printf("FAIL: %s is under a mount\n", in[i]);
            failures++;
        }
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        if (path_under(out[i], m, 3)) {
            printf("FAIL: %s is not under a mount\n", out[i]);
            failures++;
        }
    if (failures)
        return 1;
    printf("posix path: all checks passed\n");
    return 0;
}
