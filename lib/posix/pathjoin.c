/*
 * Path arithmetic for the root on disk (contract in pathjoin.h).  Pure:
 * no state, no libc beyond memcpy, strlen and strncmp.
 */
#include "pathjoin.h"

void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

long path_join(const char *base, const char *path, char *abs, size_t max)
{
    size_t n = 0;
    if (max < 2)
        return -36;
    abs[n++] = '/';
    for (int part = path[0] == '/' ? 1 : 0; part < 2; part++) {
        const char *p = part ? path : base;
        while (*p) {
            while (*p == '/')
                p++;
            const char *c = p;
            while (*p && *p != '/')
                p++;
            size_t len = (size_t)(p - c);
            if (len == 0 || (len == 1 && c[0] == '.'))
                continue;
            if (len == 2 && c[0] == '.' && c[1] == '.') {
                while (n > 1 && abs[n - 1] != '/')
                    n--;
                if (n > 1)
                    n--;                        /* the slash before it */
                continue;
            }
            if (n + (n > 1) + len + 1 > max)
                return -36;
            if (n > 1)
                abs[n++] = '/';
            memcpy(abs + n, c, len);
            n += len;
        }
    }
    abs[n] = 0;
    return 0;
}

bool path_under(const char *abs, const char *const *mounts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(mounts[i]);
        if (!strncmp(abs, mounts[i], n) && (abs[n] == 0 || abs[n] == '/'))
            return true;
    }
    return false;
}
