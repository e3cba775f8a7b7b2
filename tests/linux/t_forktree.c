/* t_forktree: process trees as deep and wide as Linux allows.
 * 1. A chain CHAIN_DEPTH deep: each process forks one child and waits for
 *    it; the deepest writes its depth into a pipe.  Checks: the deepest
 *    depth arrived, and every level exited 0.
 * 2. WIDE children alive at once, each touching fresh memory, then
 *    blocking on a pipe until released.  Checks: every fork succeeded,
 *    every child reported and exited 0.
 * 3. Exhaustion: fork blocked children until fork fails (at most
 *    EXHAUST_MAX).  Checks: the failure is EAGAIN or ENOMEM; meanwhile the
 *    parent still allocates and writes memory; once released, every child
 *    allocates fresh memory, reports and exits 0; afterwards a fork works.
 * On Linux run under `ulimit -u 400` (the exhaustion then stops there). */
#include "check.h"
#include <sys/wait.h>

#define CHAIN_DEPTH 120
#define WIDE 300
#define EXHAUST_MAX 2000
#define TOUCH (64 * 1024)

/* Touch n fresh bytes of heap; 0 if the memory was there. */
static int touch(size_t n)
{
    volatile char *m = malloc(n);
    if (!m)
        return 1;
    for (size_t i = 0; i < n; i += 4096)
        m[i] = (char)i;
    int bad = m[n - 4096] != (char)(n - 4096);
    free((void *)m);
    return bad;
}

static int wait_ok(pid_t pid)
{
    int status;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    return w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Process at depth d of the chain: fork the next one and wait; exit 0
 * only if the child did.  (The child goes on down the loop.) */
__attribute__((noreturn)) static void chain(int d, int fd)
{
    for (;; d++) {
        if (d == CHAIN_DEPTH) {
            (void)!write(fd, &d, sizeof d);
            _exit(0);
        }
        pid_t pid = fork();
        if (pid < 0) {
            int e = -errno;
            (void)!write(fd, &e, sizeof e);
            _exit(2);
        }
        if (pid > 0)
            _exit(wait_ok(pid) ? 0 : 3);
    }
}

/* A child that touches memory, waits for the release (EOF on gate), then
 * touches fresh memory again and reports one byte on out. */
static void blocked_child(int gate, int out)
{
    char c;
    int bad = touch(TOUCH);
    while (read(gate, &c, 1) < 0 && errno == EINTR)
        ;
    bad |= touch(TOUCH);
    c = bad ? 'x' : 'k';
    (void)!write(out, &c, 1);
    _exit(bad);
}

/* Fork up to max blocked children; returns how many, with the errno of
 * the failed fork (0 if none failed) in *err. */
static int fork_blocked(pid_t *kids, int max, int gate[2], int out[2], int *err)
{
    int n = 0;
    *err = 0;
    while (n < max) {
        pid_t pid = fork();
        if (pid == 0) {
            close(gate[1]);
            close(out[0]);
            blocked_child(gate[0], out[1]);
        }
        if (pid < 0) {
            *err = errno;
            break;
        }
        kids[n++] = pid;
    }
    return n;
}

/* Release the children (close the gate), count their reports and reap
 * them; returns how many exited 0 after reporting 'k'. */
static int release(pid_t *kids, int n, int gate[2], int out[2])
{
    close(gate[1]);
    close(out[1]);
    int good = 0, reports = 0;
    char buf[512];
    ssize_t r;
    while ((r = read(out[0], buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
        for (ssize_t i = 0; i < r; i++)
            reports += buf[i] == 'k';
    close(out[0]);
    close(gate[0]);
    for (int i = 0; i < n; i++)
        good += wait_ok(kids[i]);
    return reports < good ? reports : good;
}

static pid_t kids[EXHAUST_MAX];

int main(void)
{
    int p[2], gate[2], out[2], err;

    /* 1. The chain. */
    if (!CHECK(pipe(p) == 0, "pipe for the chain"))
        return check_done("t_forktree");
    pid_t top = fork();
    if (top == 0) {
        close(p[0]);
        chain(1, p[1]);
    }
    close(p[1]);
    int deepest = 0, v;
    while (read(p[0], &v, sizeof v) == (ssize_t)sizeof v)
        deepest = v;
    close(p[0]);
    CHECK(top > 0 && wait_ok(top), "a chain of %d processes: every level exited 0", CHAIN_DEPTH);
    CHECK(deepest == CHAIN_DEPTH, "the deepest process reached depth %d (got %d)", CHAIN_DEPTH, deepest);

    /* 2. Wide. */
    if (!CHECK(pipe(gate) == 0 && pipe(out) == 0, "pipes for the wide tree"))
        return check_done("t_forktree");
    int n = fork_blocked(kids, WIDE, gate, out, &err);
    CHECK(n == WIDE, "%d children alive at once (forked %d, errno %d)", WIDE, n, err);
    CHECK(touch(1 << 20) == 0, "the parent allocates 1 MiB with %d children alive", n);
    int good = release(kids, n, gate, out);
    CHECK(good == n, "every one of the %d children ran on and exited 0 (%d did)", n, good);

    /* 3. Exhaustion. */
    if (!CHECK(pipe(gate) == 0 && pipe(out) == 0, "pipes for the exhaustion"))
        return check_done("t_forktree");
    n = fork_blocked(kids, EXHAUST_MAX, gate, out, &err);
    say("exhaustion after %d children, errno %d", n, err);
    CHECK(n < EXHAUST_MAX && (err == EAGAIN || err == ENOMEM), "fork ran out with EAGAIN or ENOMEM (errno %d)", err);
    CHECK(n >= WIDE, "at least %d children before it ran out (%d)", WIDE, n);
    CHECK(touch(256 * 1024) == 0, "the parent still allocates at exhaustion");
    good = release(kids, n, gate, out);
    CHECK(good == n, "after exhaustion every one of the %d children ran on and exited 0 (%d did)", n, good);
    pid_t again = fork();
    if (again == 0)
        _exit(touch(TOUCH));
    CHECK(again > 0 && wait_ok(again), "afterwards a fork works");
    return check_done("t_forktree");
}
