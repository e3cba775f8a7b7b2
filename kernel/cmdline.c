/*
 * Kernel command line: space-separated words, each `key` or `key=value`.
 * Used only for boot-time choices (which program runs first, which
 * self-tests run); libOSes get their arguments from their parent.
 */
#include "boot_info.h"
#include "klib.h"

/* Find key in the command line; returns a pointer just past it (at '=',
 * ' ' or NUL) or NULL. */
static const char *cmdline_find(const char *key)
{
    size_t klen = strlen(key);
    const char *p = boot_info.cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - word) >= klen && strncmp(word, key, klen) == 0 &&
            (word[klen] == '=' || word[klen] == ' ' || word[klen] == 0))
            return word + klen;
    }
    return NULL;
}

bool cmdline_has(const char *key) { return cmdline_find(key) != NULL; }

bool cmdline_get(const char *key, char *buf, size_t len)
{
    const char *p = cmdline_find(key);
    if (!p || *p != '=' || len == 0)
        return false;
    p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && n + 1 < len) {
        buf[n] = p[n];
        n++;
    }
    buf[n] = 0;
    return true;
}
