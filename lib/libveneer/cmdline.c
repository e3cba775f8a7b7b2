/*
 * The kernel command line as a program reads it: vn_sysinfo->cmdline,
 * space-separated words, each `key` or `key=value`.  For boot-config
 * knobs (a test's kill counts, a driver's home); arguments proper come
 * from the parent.
 */
#include <libveneer.h>
#include <vn.h>

/* Contract in vn.h. */
uint64_t vn_cmdline_num(const char *key, uint64_t dflt)
{
    size_t n = strlen(key);
    const char *line = (const char *)vn_sysinfo->cmdline;
    for (const char *p = line; *p; p++) {
        if ((p == line || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=') {
            uint64_t v = 0;
            for (p += n + 1; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v;
        }
    }
    return dflt;
}
