/* Regressions from a review of the POSIX libOS: copy-on-write of pages
 * that were read-only or PROT_NONE at fork, calls SA_RESTART must not
 * restart (pause, sigsuspend, poll), a non-canonical TLS base, execve
 * with many arguments, a huge nanosleep, a read surviving SIGSTOP and
 * SIGCONT, ppoll's signal mask, a #! script run with argc 0 keeping its
 * environment, back-to-back SIGSTOP/SIGCONT, /proc opens not leaking the
 * arena, SIGCHLD ignored leaving no zombie, and a program's read-only page
 * (mapped from its file) written after mprotect staying private.  Passes
 * on Linux too. */
#define _GNU_SOURCE
#include "check.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <time.h>
#include <poll.h>
#include <fcntl.h>

static volatile int hits;
static void h(int s) { (void)s; hits++; }

/* run fn in a child; kill it after ms; return its wait status or -1 if it had to be killed */
static int run_limited(void (*fn)(void), int ms)
{
    pid_t p = fork();
    if (p == 0) { fn(); _exit(0); }
    for (int i = 0; i < ms / 10; i++) {
        int st;
        if (waitpid(p, &st, WNOHANG) == p)
            return st;
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    kill(p, SIGKILL);
    int st;
    waitpid(p, &st, 0);
    return -1;
}

static void t_pause(void)
{
    signal(SIGUSR1, h);            /* musl: SA_RESTART */
    pid_t me = getpid();
    if (fork() == 0) { struct timespec t = {0, 50000000}; nanosleep(&t, NULL); kill(me, SIGUSR1); _exit(0); }
    pause();
    _exit(hits == 1 ? 7 : 8);
}

static void t_suspend(void)
{
    signal(SIGUSR1, h);
    sigset_t b, e; sigemptyset(&b); sigaddset(&b, SIGUSR1); sigprocmask(SIG_BLOCK, &b, NULL); sigemptyset(&e);
    pid_t me = getpid();
    if (fork() == 0) { struct timespec t = {0, 50000000}; nanosleep(&t, NULL); kill(me, SIGUSR1); _exit(0); }
    sigsuspend(&e);
    _exit(hits == 1 ? 7 : 8);
}

static void t_poll(void)
{
    signal(SIGUSR1, h);
    pid_t me = getpid();
    if (fork() == 0) { struct timespec t = {0, 50000000}; nanosleep(&t, NULL); kill(me, SIGUSR1); _exit(0); }
    int r = poll(NULL, 0, 2000);
    _exit(r == -1 && errno == EINTR ? 7 : 8);
}

static void t_fs(void)
{
    long r = syscall(SYS_arch_prctl, 0x1002, 0x8000000000000000ul);
    _exit(r == -1 ? 7 : 8);
}

static void t_exec(void)
{
    static char *av[3100], *ev[3100];
    for (int i = 0; i < 3000; i++) av[i] = "", ev[i] = "";
    int r = execve("/nonexistent", av, ev);
    _exit(r == -1 ? 7 : 8);
}

static void t_nanosleep_big(void)
{
    struct timespec t = {0x7fffffffffffffffL, 0};
    nanosleep(&t, NULL);
    _exit(9);    /* should not return */
}


static void t_stopcont(void)
{
    int fd[2]; pipe(fd);
    pid_t c = fork();
    if (c == 0) {
        close(fd[1]);
        char b[4];
        ssize_t r = read(fd[0], b, 4);
        _exit(r == 4 ? 7 : r < 0 && errno == EINTR ? 5 : 6);
    }
    close(fd[0]);
    struct timespec t = {0, 50000000};
    nanosleep(&t, NULL);
    kill(c, SIGSTOP); nanosleep(&t, NULL);
    kill(c, SIGCONT); nanosleep(&t, NULL);
    write(fd[1], "abcd", 4);
    int st; waitpid(c, &st, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 99);
}

static void t_ppoll(void)
{
    signal(SIGUSR1, h);
    sigset_t b, e; sigemptyset(&b); sigaddset(&b, SIGUSR1); sigprocmask(SIG_BLOCK, &b, NULL); sigemptyset(&e);
    pid_t me = getpid();
    if (fork() == 0) { struct timespec t = {0, 50000000}; nanosleep(&t, NULL); kill(me, SIGUSR1); _exit(0); }
    struct timespec to = {0, 500000000};
    int r = ppoll(NULL, 0, &to, &e);
    _exit(r == -1 && errno == EINTR && hits == 1 ? 7 : 8);
}

static void t_script0(void)
{
    int fd = open("/tmp/regress.sh", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    write(fd, "#!/bin/sh\n[ \"$ZZ\" = 1 ] && exit 7\nexit 8\n", 40);
    close(fd);
    char *av[] = {NULL}, *ev[] = {"ZZ=1", NULL};
    execve("/tmp/regress.sh", av, ev);
    _exit(9);
}

static void t_stopcont2(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 20; i++) { struct timespec t = {0, 10000000}; nanosleep(&t, NULL); }
        _exit(7);
    }
    kill(c, SIGSTOP);
    kill(c, SIGCONT);
    int st; waitpid(c, &st, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 99);
}

/* Fault with the direction flag set (as inside a backward memmove). */
static void t_df_fault(void)
{
    __asm__ volatile("std\n movl $1, 0" ::: "memory");
    _exit(9);
}

/* Jump to an address the program never mapped, high in its space. */
static void t_wild_jump(void)
{
    ((void (*)(void))0x7d8000000000ul)();
    _exit(9);
}

static volatile int alarms;
static void on_alarm(int s) { (void)s; alarms++; }

/* alarm(1) then pause(): SIGALRM's handler ends the pause. */
static void t_alarm_pause(void)
{
    signal(SIGALRM, on_alarm);
    alarm(1);
    int r = pause();
    _exit(r == -1 && errno == EINTR && alarms == 1 ? 7 : 8);
}

/* An interval timer interrupts a busy loop (no system call in it). */
static void t_itimer_busy(void)
{
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (volatile unsigned long i = 0; alarms < 3 && i < 4000000000ul; i++)
        ;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    _exit(alarms >= 3 ? 7 : 8);
}

/* A pending alarm is not inherited by a forked child. */
static void t_alarm_fork(void)
{
    alarm(100);
    pid_t c = fork();
    if (c == 0)
        _exit(alarm(0) == 0 ? 7 : 8);
    int st;
    waitpid(c, &st, 0);
    alarm(0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 9);
}

static void t_procleak(void)
{
    for (int i = 0; i < 1500; i++) {
        int fd = open("/proc/self/stat", O_RDONLY);
        if (fd < 0) { char m[64]; int k = snprintf(m, sizeof m, "# proc open failed at %d errno %d\n", i, errno); write(1, m, k); _exit(5); }
        close(fd);
    }
    int fd = open("/tmp/regressbig", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    static char buf[65536];
    ssize_t w = write(fd, buf, sizeof buf);
    close(fd);
    int pf[2];
    int pr = pipe(pf);
    _exit(w == (ssize_t)sizeof buf && pr == 0 ? 7 : w < 0 ? 3 : 4);
}

int main(void)
{
    /* 1. read-only private page, fork, mprotect RW in child, write: parent must not see it. */
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 'A';
    mprotect(p, 4096, PROT_READ);
    pid_t c = fork();
    if (c == 0) { mprotect(p, 4096, PROT_READ | PROT_WRITE); p[0] = 'B'; _exit(0); }
    int st; waitpid(c, &st, 0);
    CHECK(p[0] == 'A', "RO page made RW after fork stays private (parent sees %c)", p[0]);

    /* 2. same with PROT_NONE MAP_FIXED */
    char *q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    q = mmap(q, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    c = fork();
    if (c == 0) { mprotect(q, 4096, PROT_READ | PROT_WRITE); q[0] = 'B'; _exit(0); }
    waitpid(c, &st, 0);
    mprotect(q, 4096, PROT_READ | PROT_WRITE);
    CHECK(q[0] == 0, "PROT_NONE page made RW after fork stays private (parent sees %d)", q[0]);

    /* 3. The ELF header page (read-only, mapped from the file): made
     * writable and written, the change stays private to this process; the
     * file (and so any later exec of it) is untouched. */
    extern char __ehdr_start[];
    CHECK(mprotect(__ehdr_start, 4096, PROT_READ | PROT_WRITE) == 0, "mprotect the ELF header page writable");
    __ehdr_start[0] = 'X';
    CHECK(__ehdr_start[0] == 'X', "the write to it is seen here");
    int self = open("/proc/self/exe", O_RDONLY);
    char magic[4] = {0};
    CHECK(self >= 0 && read(self, magic, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E',
          "the program's file still starts with the ELF magic");
    close(self);
    mprotect(__ehdr_start, 4096, PROT_READ);

    int s;
    s = run_limited(t_pause, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "pause returns after SA_RESTART handler (status %#x)", s);
    s = run_limited(t_suspend, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "sigsuspend returns after SA_RESTART handler (status %#x)", s);
    s = run_limited(t_poll, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "poll EINTR after SA_RESTART handler (status %#x)", s);
    s = run_limited(t_fs, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "arch_prctl noncanonical gives error (status %#x)", s);
    s = run_limited(t_exec, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "execve 3000+3000 args returns error (status %#x)", s);
    s = run_limited(t_nanosleep_big, 300);
    CHECK(s == -1, "nanosleep(LONG_MAX s) still sleeping (status %#x)", s);


    s = run_limited(t_stopcont, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "read survives SIGSTOP/SIGCONT (status %#x)", s);
    s = run_limited(t_ppoll, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "ppoll applies its sigmask (status %#x)", s);
    s = run_limited(t_script0, 1000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "script with argc 0 keeps env (status %#x)", s);

    s = run_limited(t_stopcont2, 2000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "SIGSTOP then SIGCONT back to back resumes (status %#x)", s);
    s = run_limited(t_df_fault, 2000);
    CHECK(s >= 0 && WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV, "a fault with DF set kills with SIGSEGV (status %#x)", s);
    s = run_limited(t_wild_jump, 2000);
    CHECK(s >= 0 && WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV, "a jump to a wild high address kills with SIGSEGV (status %#x)", s);
    s = run_limited(t_alarm_pause, 3000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "alarm ends a pause through its handler (status %#x)", s);
    s = run_limited(t_itimer_busy, 10000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "an interval timer interrupts a busy loop (status %#x)", s);
    s = run_limited(t_alarm_fork, 2000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "a fork child does not inherit the alarm (status %#x)", s);
    s = run_limited(t_procleak, 5000);
    CHECK(s >= 0 && WIFEXITED(s) && WEXITSTATUS(s) == 7, "1500 /proc opens do not exhaust the arena (status %#x)", s);
    /* SIGCHLD SIG_IGN: no zombie.  Reap first what was handed to us as
     * orphans (under Veneer this program is init, pid 1). */
    while (waitpid(-1, &st, WNOHANG) > 0)
        ;
    signal(SIGCHLD, SIG_IGN);
    c = fork();
    if (c == 0) _exit(3);
    struct timespec t = {0, 100000000}; nanosleep(&t, NULL);
    int w = waitpid(-1, &st, WNOHANG);
    CHECK(w == -1 && errno == ECHILD, "SIGCHLD SIG_IGN: child auto-reaped (waitpid %d)", w);
    signal(SIGCHLD, SIG_DFL);
    return check_done("t_regress");
}
