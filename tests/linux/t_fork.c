/* t_fork: fork, exec and wait.
 * Checks: child _exit(42) seen by waitpid; getpid/getppid in parent and
 * child; WNOHANG returns 0 while a child runs (waitpid and wait4); waitpid(-1)
 * reaps several children with their own statuses; ECHILD with no children;
 * execve of the helper from a child (argv, envp and exit code arrive);
 * execve of a missing path fails with ENOENT. */
#include "check.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int main(void)
{
    int status;
    pid_t me = getpid();

    /* 1. Simple exit status. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    CHECK(pid > 0, "fork returns a child pid");
    CHECK(pid != me, "child pid differs from parent pid");
    pid_t w = waitpid(pid, &status, 0);
    CHECK(w == pid, "waitpid returns the child pid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "child _exit(42) gives WIFEXITED, status 42 (raw %#x)", status);

    /* 2. getpid/getppid in the child, reported through a pipe. */
    int p[2];
    if (CHECK(pipe(p) == 0, "pipe")) {
        pid = fork();
        if (pid == 0) {
            pid_t ids[2] = { getpid(), getppid() };
            close(p[0]);
            _exit(write(p[1], ids, sizeof ids) == (ssize_t)sizeof ids ? 0 : 1);
        }
        close(p[1]);
        pid_t ids[2] = { 0, 0 };
        ssize_t n = read(p[0], ids, sizeof ids);
        close(p[0]);
        waitpid(pid, &status, 0);
        CHECK(n == (ssize_t)sizeof ids, "child sent its ids");
        CHECK(ids[0] == pid, "getpid() in child == pid fork returned");
        CHECK(ids[1] == me, "getppid() in child == parent pid");
        CHECK(ids[0] != me, "getpid() in child != parent pid");
    }

    /* 3. WNOHANG while the child sleeps. */
    pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        _exit(7);
    }
    w = waitpid(pid, &status, WNOHANG);
    CHECK(w == 0, "waitpid WNOHANG returns 0 while child runs (got %d)", (int)w);
    struct rusage ru;
    w = wait4(pid, &status, WNOHANG, &ru);
    CHECK(w == 0, "wait4 WNOHANG returns 0 while child runs (got %d)", (int)w);
    w = wait4(pid, &status, 0, &ru);
    CHECK(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7, "wait4 then reaps it with status 7");

    /* 4. waitpid(-1) reaps several children. */
    enum { NKIDS = 5 };
    pid_t kids[NKIDS];
    int seen[NKIDS] = { 0 };
    for (int i = 0; i < NKIDS; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            sleep_ms(5 * (NKIDS - i));
            _exit(10 + i);
        }
    }
    int reaped = 0, right = 0;
    for (int k = 0; k < NKIDS; k++) {
        w = waitpid(-1, &status, 0);
        if (w <= 0)
            break;
        reaped++;
        for (int i = 0; i < NKIDS; i++)
            if (kids[i] == w) {
                seen[i]++;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 10 + i)
                    right++;
            }
    }
    int once = 1;
    for (int i = 0; i < NKIDS; i++)
        if (seen[i] != 1)
            once = 0;
    CHECK(reaped == NKIDS, "waitpid(-1) reaped %d of %d children", reaped, NKIDS);
    CHECK(once, "each child reaped exactly once");
    CHECK(right == NKIDS, "each child's own exit status collected (%d right)", right);

    /* 5. No children left. */
    errno = 0;
    w = waitpid(-1, &status, 0);
    CHECK(w == -1 && errno == ECHILD, "waitpid(-1) with no children gives ECHILD");
    errno = 0;
    w = waitpid(-1, &status, WNOHANG);
    CHECK(w == -1 && errno == ECHILD, "waitpid(-1, WNOHANG) with no children gives ECHILD");

    /* 6. execve of the helper; its stdout comes back through a pipe. */
    const char *helper = exec_helper_path();
    if (CHECK(pipe(p) == 0, "pipe for exec output")) {
        pid = fork();
        if (pid == 0) {
            char *argv[] = { (char *)helper, "33", "arg2", NULL };
            char *envp[] = { "T_VAR=hello", "OTHER=1", NULL };
            close(p[0]);
            dup2(p[1], 1);
            close(p[1]);
            execve(helper, argv, envp);
            _exit(127);
        }
        close(p[1]);
        char out[1024];
        size_t len = 0;
        for (int i = 0; i < 100 && len < sizeof out - 1; i++) {
            ssize_t n = read(p[0], out + len, sizeof out - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
        }
        out[len] = 0;
        close(p[0]);
        w = waitpid(pid, &status, 0);
        CHECK(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 33,
              "execve %s: exit code 33 comes back (raw %#x)", helper, status);
        CHECK(strstr(out, "# helper argv[1]=33\n") && strstr(out, "# helper argv[2]=arg2\n"),
              "exec'd program got its argv");
        CHECK(strstr(out, "# helper T_VAR=hello\n") != NULL, "exec'd program got its envp");
    }

    /* 7. execve of a missing path, in the parent itself: it must return. */
    char *argv[] = { "/no/such/program", NULL };
    char *envp[] = { NULL };
    errno = 0;
    int r = execve("/no/such/program", argv, envp);
    CHECK(r == -1 && errno == ENOENT, "execve of a missing path gives -1/ENOENT");

    /* 8. Zombie: a child that exits before the wait still reports. */
    pid = fork();
    if (pid == 0)
        _exit(3);
    sleep_ms(30);
    w = waitpid(pid, &status, WNOHANG);
    if (w == 0)
        w = waitpid(pid, &status, 0);
    CHECK(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 3, "exited child (zombie) reaped later with status 3");

    return check_done("t_fork");
}
