/* t_signal: signals.
 * Checks: a sigaction handler runs on kill(getpid(), SIGUSR1) with the right
 * signo; an SA_SIGINFO handler gets si_signo, si_code SI_USER and si_pid;
 * sigprocmask blocks delivery, sigpending shows it, unblocking delivers it
 * exactly once; raise(); SIG_IGN discards; SIGCHLD arrives when a child
 * exits (sigsuspend loop); a child killed with SIGTERM is WIFSIGNALED with
 * WTERMSIG SIGTERM; a child writing through NULL dies of SIGSEGV; a SIGSEGV
 * handler can siglongjmp out (twice); a signal from a child reaches the
 * parent with the child's pid; a handler interrupts a blocking read (EINTR). */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t got_signo, got_count, got_info_signo, got_info_code, chld_count, segv_count;
static volatile pid_t got_info_pid;
static sigjmp_buf segv_jmp;

static void on_sig(int sig)
{
    got_signo = sig;
    got_count++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signo = sig;
    got_count++;
    got_info_signo = si->si_signo;
    got_info_code = si->si_code;
    got_info_pid = si->si_pid;
}

static void on_chld(int sig)
{
    (void)sig;
    chld_count++;
}

static void on_segv(int sig)
{
    (void)sig;
    segv_count++;
    siglongjmp(segv_jmp, 1);
}

static void reset(void)
{
    got_signo = 0;
    got_count = 0;
    got_info_signo = 0;
    got_info_code = 0;
    got_info_pid = 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int main(void)
{
    struct sigaction sa;
    sigset_t set, old;
    int status;
    pid_t me = getpid();

    /* 1. Plain handler. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1");
    reset();
    CHECK(kill(me, SIGUSR1) == 0, "kill(getpid(), SIGUSR1)");
    CHECK(got_count == 1 && got_signo == SIGUSR1, "handler ran once with signo SIGUSR1 (count %d)", (int)got_count);
    struct sigaction cur;
    CHECK(sigaction(SIGUSR1, NULL, &cur) == 0 && cur.sa_handler == on_sig, "sigaction reads the handler back");

    /* 2. SA_SIGINFO. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction SIGUSR2 SA_SIGINFO");
    reset();
    kill(me, SIGUSR2);
    CHECK(got_count == 1 && got_signo == SIGUSR2, "SA_SIGINFO handler ran with signo SIGUSR2");
    CHECK(got_info_signo == SIGUSR2, "siginfo si_signo == SIGUSR2");
    CHECK(got_info_code == SI_USER, "siginfo si_code == SI_USER (got %d)", (int)got_info_code);
    CHECK(got_info_pid == me, "siginfo si_pid == getpid()");

    /* 3. Blocked signal: pending, then delivered once on unblock. */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0, "sigprocmask block SIGUSR1");
    reset();
    kill(me, SIGUSR1);
    kill(me, SIGUSR1);
    CHECK(got_count == 0, "blocked SIGUSR1 not delivered");
    sigset_t pend;
    sigemptyset(&pend);
    CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1) == 1, "sigpending shows SIGUSR1");
    sigset_t now;
    CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGUSR1) == 1, "sigprocmask reads the mask back");
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "sigprocmask unblock");
    CHECK(got_count == 1 && got_signo == SIGUSR1, "delivered exactly once after unblock (count %d)", (int)got_count);
    sigemptyset(&pend);
    CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1) == 0, "no longer pending");

    /* 4. raise. */
    reset();
    CHECK(raise(SIGUSR1) == 0 && got_count == 1 && got_signo == SIGUSR1, "raise(SIGUSR1) runs the handler");

    /* 5. SIG_IGN. */
    signal(SIGUSR1, SIG_IGN);
    reset();
    kill(me, SIGUSR1);
    CHECK(got_count == 0, "ignored SIGUSR1 does nothing");
    signal(SIGUSR1, on_sig);

    /* 6. SIGCHLD when a child exits, waited for with sigsuspend. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction SIGCHLD");
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    chld_count = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(5);
    sigset_t waitmask = old;
    sigdelset(&waitmask, SIGCHLD);
    for (int i = 0; i < 100 && chld_count == 0; i++) {
        int r = sigsuspend(&waitmask);
        if (r != -1 || errno != EINTR)
            break;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(chld_count == 1, "SIGCHLD handler ran when the child exited");
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5, "child reaped with status 5");
    signal(SIGCHLD, SIG_DFL);

    /* 7. SIGTERM kills a child. */
    pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 200; i++)
            sleep_ms(10);
        _exit(0);
    }
    sleep_ms(10);
    CHECK(kill(pid, SIGTERM) == 0, "kill(child, SIGTERM)");
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid the killed child");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "WIFSIGNALED with WTERMSIG == SIGTERM (raw %#x)", status);

    /* 8. A signal sent by a child reaches the parent (blocked meanwhile)
     * with si_pid = the child's pid. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, &old);
    reset();
    pid = fork();
    if (pid == 0)
        _exit(kill(getppid(), SIGUSR2) == 0 ? 0 : 1);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child sent SIGUSR2 to the parent");
    CHECK(got_count == 0, "still blocked in the parent");
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(got_count == 1 && got_info_signo == SIGUSR2, "delivered on unblock");
    CHECK(got_info_pid == pid, "si_pid is the child's pid");

    /* 9. SIGSEGV from a NULL write kills a child. */
    pid = fork();
    if (pid == 0) {
        *(volatile int *)0 = 1;
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
          "child writing through NULL dies of SIGSEGV (raw %#x)", status);

    /* 10. A SIGSEGV handler that siglongjmps out, twice. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction SIGSEGV");
    segv_count = 0;
    int jumped = 0;
    for (int i = 0; i < 2; i++) {
        if (sigsetjmp(segv_jmp, 1) == 0) {
            *(volatile int *)(unsigned long)(8 + i * 4096) = 1;
        } else {
            jumped++;
        }
    }
    CHECK(segv_count == 2 && jumped == 2, "SIGSEGV handler ran and siglongjmp'd out twice (%d, %d)", (int)segv_count, jumped);
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGSEGV) == 0, "siglongjmp restored the mask (SIGSEGV unblocked)");
    signal(SIGSEGV, SIG_DFL);

    /* 11. A handler interrupts a blocking read (no SA_RESTART): EINTR. */
    int p[2];
    if (CHECK(pipe(p) == 0, "pipe")) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sig;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGUSR1, &sa, NULL);
        reset();
        pid = fork();
        if (pid == 0) {
            close(p[0]);
            sleep_ms(50);
            kill(getppid(), SIGUSR1);
            sleep_ms(50);
            _exit(write(p[1], "x", 1) == 1 ? 0 : 1);
        }
        close(p[1]);
        char c;
        errno = 0;
        ssize_t n = read(p[0], &c, 1);
        CHECK(n == -1 && errno == EINTR && got_count == 1, "blocking read interrupted by a handler gives EINTR");
        waitpid(pid, &status, 0);
        close(p[0]);
    }

    return check_done("t_signal");
}
