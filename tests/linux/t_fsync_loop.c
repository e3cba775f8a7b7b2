/* t_fsync_loop: the workload of the power-cut test (tests/qemu/disk_powercut.t).
 *
 *   t_fsync_loop DIR N      write mode: for i = 1..N, write DIR/f<i> (a
 *                           pattern of its own length), fsync it; then
 *                           write DIR/cur.tmp with generation i, fsync it,
 *                           rename it over DIR/cur, fsync DIR; print
 *                           "fsynced <i>" only after all of that returned.
 *   t_fsync_loop DIR check K  check mode: every f<i>, i <= K, has its exact
 *                           content; cur holds a whole generation >= K
 *                           (the rename left the old or the new file, never
 *                           neither); prints "check: ok <files> files, cur <g>".
 *   t_fsync_loop DIR time N  N times: create DIR/b<i>, write 4 KiB, fsync,
 *                           close; prints the mean and best microseconds of
 *                           one such round (docs/storage.md's numbers).
 *
 * The host kills QEMU at some point of the write mode; K is the last
 * "fsynced" line it saw.  Runs on Linux too. */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"

static size_t file_len(int i)
{
    return (size_t)(1000 + (i * 7919) % 20000);
}

static void fill(int i, unsigned char *buf, size_t len)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = (unsigned char)(i * 31 + k * 7 + (k >> 8));
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static unsigned char buf[32768], got[32768];

static int writer(const char *dir, int n)
{
    char path[256], tmp[256], cur[256];
    snprintf(tmp, sizeof tmp, "%s/cur.tmp", dir);
    snprintf(cur, sizeof cur, "%s/cur", dir);
    mkdir(dir, 0755);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) {
        say("cannot open %s", dir);
        return 1;
    }
    for (int i = 1; i <= n; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        size_t len = file_len(i);
        fill(i, buf, len);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write_all(fd, buf, len) || fsync(fd) || close(fd))
            return say("f%d failed: errno %d", i, errno), 1;
        char gen[64];
        int gl = snprintf(gen, sizeof gen, "generation %d of cur\n", i);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write_all(fd, gen, (size_t)gl) || fsync(fd) || close(fd) || rename(tmp, cur) || fsync(dfd))
            return say("cur %d failed: errno %d", i, errno), 1;
        char line[64];
        int ll = snprintf(line, sizeof line, "fsynced %d\n", i);
        check_write(line, (size_t)ll);
    }
    return 0;
}

static int checker(const char *dir, int k)
{
    char path[256];
    int files = 0;
    for (int i = 1; i <= k; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        size_t len = file_len(i);
        int fd = open(path, O_RDONLY);
        ssize_t r = fd < 0 ? -1 : read(fd, got, sizeof got);
        if (fd >= 0)
            close(fd);
        fill(i, buf, len);
        CHECK(r == (ssize_t)len && !memcmp(buf, got, len), "f%d: fsync'd, so intact", i);
        files += r == (ssize_t)len && !memcmp(buf, got, len);
    }
    snprintf(path, sizeof path, "%s/cur", dir);
    int fd = open(path, O_RDONLY);
    ssize_t r = fd < 0 ? -1 : read(fd, got, sizeof got - 1);
    if (fd >= 0)
        close(fd);
    int g = -1;
    if (r > 0) {
        got[r] = 0;
        sscanf((char *)got, "generation %d", &g);
    }
    char want[64];
    snprintf(want, sizeof want, "generation %d of cur\n", g);
    CHECK(k == 0 || (r > 0 && g >= k && !strcmp((char *)got, want)), "cur: a whole generation >= %d (%d)", k, g);
    char line[96];
    int ll = snprintf(line, sizeof line, "check: %s %d files, cur %d\n", check_failed ? "FAILED" : "ok", files, g);
    check_write(line, (size_t)ll);
    return check_done("t_fsync_loop");
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int timer(const char *dir, int n)
{
    char path[256];
    double total = 0, best = 1e12;
    mkdir(dir, 0755);
    memset(buf, 'x', 4096);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/b%d", dir, i);
        double t0 = now_us();
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write_all(fd, buf, 4096) || fsync(fd) || close(fd))
            return say("b%d failed: errno %d", i, errno), 1;
        double t = now_us() - t0;
        total += t;
        best = t < best ? t : best;
    }
    char line[128];
    int ll = snprintf(line, sizeof line, "create+write 4 KiB+fsync: %d rounds, mean %.0f us, best %.0f us\n", n,
                      total / n, best);
    check_write(line, (size_t)ll);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[2], "time"))
        return timer(argv[1], atoi(argv[3]));
    if (argc == 3)
        return writer(argv[1], atoi(argv[2]));
    if (argc == 4 && !strcmp(argv[2], "check"))
        return checker(argv[1], atoi(argv[3]));
    say("usage: t_fsync_loop DIR N | DIR check K");
    return 2;
}
