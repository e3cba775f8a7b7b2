/*
 * Helpers of the lib/fs host tests (test_extfs.c, test_extfs_crash.c):
 * running the host's e2fsprogs (mke2fs, e2fsck, debugfs) on image files
 * in a scratch directory next to the test binary, and checks.
 */
#ifndef VENEER_TESTS_EXTFS_HOST_H
#define VENEER_TESTS_EXTFS_HOST_H

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int failures;

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            failures++; \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__); \
            printf("\n"); \
        } \
    } while (0)

/* The scratch directory: <dir of argv0>/extfs-tmp, created. */
static char scratch[4096];

static void scratch_init(const char *argv0, const char *sub)
{
    char *copy = strdup(argv0);
    snprintf(scratch, sizeof(scratch), "%s/%s", dirname(copy), sub);
    free(copy);
    mkdir(scratch, 0755);
    /* The host's e2fsprogs live in sbin. */
    setenv("PATH", "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin", 1);
}

/* Runs a shell command (printf format), output to `log` (appended); the
 * exit status, or -1. */
static int run(const char *log, const char *fmt, ...)
{
    char cmd[8192];
    int n, st;
    va_list ap;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd) - 64, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd) - 64)
        return -1;
    snprintf(cmd + n, sizeof(cmd) - (size_t)n, " >>'%s' 2>&1", log);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A fresh ext4 image of `mb` MiB, 4 KiB blocks, 64bit and metadata_csum,
 * with a journal of jmb MiB (extra: more mke2fs options).  0 on success. */
static int make_image(const char *img, const char *log, int mb, int jmb, const char *extra)
{
    remove(img);
    return run(log, "mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit -J size=%d %s -E lazy_itable_init=0 '%s' %dM",
               jmb, extra, img, mb);
}

#endif
