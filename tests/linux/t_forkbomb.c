/* t_forkbomb: a contained fork bomb.
 * Every process forks up to FANOUT children, each of which does the same
 * until depth MAXDEPTH (3 + 9 + ... + 3^6 = 1092 forks in all) or until a
 * fork fails (then that process forks no more). Every process waits for
 * all its direct children and exits 0 only if they all exited 0. Each
 * successful child writes '+' into a shared pipe; each failed fork writes
 * 'A' (EAGAIN/ENOMEM) or 'X' (any other errno). Checks: every process exited
 * cleanly; the tree completed or stopped on fork failure; failures were only
 * EAGAIN/ENOMEM; the parent has no children left (ECHILD); afterwards a
 * normal fork + wait still works. Prints how many forks succeeded. */
#include "check.h"
#include <sys/wait.h>

#define FANOUT 3
#define MAXDEPTH 6

static int report_fd;

static void put(char c)
{
    /* The pipe holds far more than the ~1100 bytes written, so this never
     * blocks; nobody reads until every process has exited. */
    (void)!write(report_fd, &c, 1);
}

/* Fork the children of a process at depth `depth`; returns 0 if every
 * child was forked, waited for and exited 0. */
static int grow(int depth)
{
    pid_t kids[FANOUT];
    int n = 0, bad = 0;
    for (int i = 0; i < FANOUT; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            put('+');
            int rc = depth + 1 < MAXDEPTH ? grow(depth + 1) : 0;
            _exit(rc);
        }
        if (pid < 0) {
            put(errno == EAGAIN || errno == ENOMEM ? 'A' : 'X');
            break; /* stop on the first failure */
        }
        kids[n++] = pid;
    }
    for (int i = 0; i < n; i++) {
        int status;
        pid_t w;
        do
            w = waitpid(kids[i], &status, 0);
        while (w < 0 && errno == EINTR);
        if (w != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    return bad;
}

int main(void)
{
    int p[2], status;
    long total = 0;
    for (int d = 1, k = FANOUT; d <= MAXDEPTH; d++, k *= FANOUT)
        total += k;

    if (!CHECK(pipe(p) == 0, "pipe for the reports"))
        return check_done("t_forkbomb");
    report_fd = p[1];

    int rc = grow(0);
    CHECK(rc == 0, "every process waited for its children and exited 0");

    close(p[1]);
    long plus = 0, again = 0, other = 0, reads = 0;
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0 && ++reads < 100000)
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '+')
                plus++;
            else if (buf[i] == 'A')
                again++;
            else
                other++;
        }
    close(p[0]);
    say("forks succeeded: %ld of %ld, failed with EAGAIN/ENOMEM: %ld, other: %ld", plus, total, again, other);
    CHECK(n == 0, "report pipe reached EOF (no process left holding it)");
    CHECK(plus > 0, "some forks succeeded");
    CHECK(plus == total || again > 0, "tree completed (%ld forks) or stopped on fork failure", total);
    CHECK(plus <= total, "never more forks than the depth bound allows");
    CHECK(other == 0, "fork failed only with EAGAIN/ENOMEM");

    errno = 0;
    CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD, "no children left (ECHILD)");

    /* A normal child afterwards. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(77);
    CHECK(pid > 0, "fork after the bomb");
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 77,
          "child after the bomb exits 77 and is reaped");

    return check_done("t_forkbomb");
}
