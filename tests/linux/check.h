/* check.h: tiny helpers for the Linux conformance programs in tests/linux.
 *
 *   CHECK(cond, fmt, ...)   prints "ok - <desc>" or "not ok - <desc> (errno=N)"
 *   check_done("t_name")    prints "t_name: <N> checks, <F> failed", returns 0 or 1
 *   say(fmt, ...)           prints an informational "# ..." line
 *
 * Every line goes straight to fd 1 with write(2): nothing sits in a stdio
 * buffer, so nothing is lost or duplicated across fork, exec or _exit.
 * One program = one translation unit, so the counters are plain statics. */
#ifndef TESTS_LINUX_CHECK_H
#define TESTS_LINUX_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_count, check_failed;

/* Write all of buf to fd 1, retrying on short writes and EINTR. */
static void check_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void check_vline(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s", prefix);
    if (n < 0 || n >= (int)sizeof line)
        n = 0;
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof line - 40)
        n = (int)sizeof line - 40;
    n += snprintf(line + n, sizeof line - (size_t)n, "%s\n", suffix);
    check_write(line, (size_t)n);
}

__attribute__((format(printf, 1, 2), unused))
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vline("# ", "", fmt, ap);
    va_end(ap);
}

/* Returns ok so callers can skip dependent steps. err is errno as it was
 * right after cond was evaluated. */
__attribute__((format(printf, 3, 4), unused))
static int check_report(int ok, int err, const char *fmt, ...)
{
    char suffix[32] = "";
    va_list ap;
    check_count++;
    if (!ok) {
        check_failed++;
        snprintf(suffix, sizeof suffix, " (errno=%d)", err);
    }
    va_start(ap, fmt);
    check_vline(ok ? "ok - " : "not ok - ", suffix, fmt, ap);
    va_end(ap);
    errno = err;
    return ok;
}

#define CHECK(cond, ...) \
    ({ int check_ok_ = !!(cond); int check_err_ = errno; check_report(check_ok_, check_err_, __VA_ARGS__); })

__attribute__((unused))
static int check_done(const char *name)
{
    char line[160];
    int n = snprintf(line, sizeof line, "%s: %d checks, %d failed\n", name, check_count, check_failed);
    check_write(line, (size_t)n);
    return check_failed == 0 ? 0 : 1;
}

/* Where the exec helper lives: /bin/t_exec_helper, or $EXEC_HELPER. */
__attribute__((unused))
static const char *exec_helper_path(void)
{
    const char *p = getenv("EXEC_HELPER");
    return p && *p ? p : "/bin/t_exec_helper";
}

/* The directory t_file expects busybox in: /bin, or $BIN_DIR. */
__attribute__((unused))
static const char *bin_dir(void)
{
    const char *p = getenv("BIN_DIR");
    return p && *p ? p : "/bin";
}

#endif
