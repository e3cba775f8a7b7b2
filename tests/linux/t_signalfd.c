/* t_signalfd: signalfd4 over blocked signals: read one and several
 * records (signo, pid), poll and epoll, a new mask for the same fd,
 * SIGCHLD's status, a forked child reading its own signals, nonblocking
 * reads, and the errors.  Passes on Linux too. */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

int main(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &m, NULL) == 0, "block USR1, USR2, CHLD");
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) && (fcntl(fd, F_GETFL) & O_NONBLOCK),
          "signalfd(-1, mask, SFD_NONBLOCK|SFD_CLOEXEC)");
    struct signalfd_siginfo si[4];
    errno = 0;
    CHECK(read(fd, si, sizeof si[0]) == -1 && errno == EAGAIN, "nothing pending: EAGAIN");
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0, "poll: not readable");

    kill(getpid(), SIGUSR1);
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "poll: readable once USR1 is pending");
    CHECK(read(fd, si, sizeof si[0]) == (ssize_t)sizeof si[0] && si[0].ssi_signo == SIGUSR1 &&
          si[0].ssi_pid == (uint32_t)getpid(), "read: SIGUSR1 from our pid (%u, %u)", si[0].ssi_signo, si[0].ssi_pid);
    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "reading it took it off the pending set");

    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    ssize_t r = read(fd, si, sizeof si);
    CHECK(r == 2 * (ssize_t)sizeof si[0] && si[0].ssi_signo == SIGUSR1 && si[1].ssi_signo == SIGUSR2,
          "one read returns both, lowest first (%zd bytes)", r);
    errno = 0;
    CHECK(read(fd, si, 100) == -1 && errno == EINVAL, "a buffer under 128 bytes: EINVAL");

    /* A blocking read waits for a signal sent by a child. */
    int bfd = signalfd(-1, &m, 0);
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = {0, 50000000};
        nanosleep(&d, NULL);
        kill(getppid(), SIGUSR2);
        _exit(7);
    }
    int got_usr2 = 0, got_chld = 0, status = -1;
    for (int i = 0; i < 2 && (!got_usr2 || !got_chld); i++) {
        r = read(bfd, si, sizeof si);
        for (int k = 0; r > 0 && k < r / (ssize_t)sizeof si[0]; k++) {
            if (si[k].ssi_signo == SIGUSR2 && si[k].ssi_pid == (uint32_t)c)
                got_usr2 = 1;
            if (si[k].ssi_signo == SIGCHLD) {
                got_chld = 1;
                status = si[k].ssi_status;
            }
        }
    }
    CHECK(got_usr2, "a blocking read gets the child's SIGUSR2 with its pid");
    CHECK(got_chld && status == 7, "and SIGCHLD with the exit status (%d)", status);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7, "the child is reaped");

    /* epoll over a signalfd. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5}, out;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl ADD a signalfd");
    CHECK(epoll_wait(ep, &out, 1, 0) == 0, "epoll: nothing yet");
    kill(getpid(), SIGUSR2);
    CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u32 == 5, "epoll reports a pending SIGUSR2");
    CHECK(read(fd, si, sizeof si) == (ssize_t)sizeof si[0] && si[0].ssi_signo == SIGUSR2, "read it");

    /* A new mask for the same descriptor. */
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    CHECK(signalfd(fd, &only1, 0) == fd, "signalfd(fd, new mask) returns fd");
    kill(getpid(), SIGUSR2);
    errno = 0;
    CHECK(read(fd, si, sizeof si) == -1 && errno == EAGAIN, "USR2 is outside the new mask");
    CHECK(read(bfd, si, sizeof si) == (ssize_t)sizeof si[0] && si[0].ssi_signo == SIGUSR2, "the other signalfd reads it");

    /* After fork the child reads its own signals, not the parent's. */
    c = fork();
    if (c == 0) {
        struct signalfd_siginfo s;
        errno = 0;
        if (read(fd, &s, sizeof s) != -1 || errno != EAGAIN)
            _exit(1);                       /* nothing of ours pending */
        kill(getpid(), SIGUSR1);
        _exit(read(fd, &s, sizeof s) == (ssize_t)sizeof s && s.ssi_signo == SIGUSR1 &&
              s.ssi_pid == (uint32_t)getpid() ? 0 : 2);
    }
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "a forked child reads its own signal through the inherited fd (%d)", WEXITSTATUS(st));
    read(bfd, si, sizeof si);               /* its SIGCHLD */

    /* Errors. */
    errno = 0;
    CHECK(syscall(289, -1, &m, 4, 0) == -1 && errno == EINVAL, "sizemask 4: EINVAL");
    errno = 0;
    CHECK(signalfd(-1, &m, 0x10) == -1 && errno == EINVAL, "unknown flags: EINVAL");
    errno = 0;
    CHECK(signalfd(ep, &m, 0) == -1 && errno == EINVAL, "an epoll fd: EINVAL");
    errno = 0;
    CHECK(signalfd(99, &m, 0) == -1 && errno == EBADF, "a closed fd: EBADF");
    errno = 0;
    CHECK(syscall(289, -1, (void *)8, 8, 0) == -1 && errno == EFAULT, "a bad mask pointer: EFAULT");
    kill(getpid(), SIGUSR1);
    errno = 0;
    CHECK(read(fd, (void *)8, 128) == -1 && errno == EFAULT, "a bad buffer: EFAULT");
    errno = 0;
    CHECK(write(fd, si, sizeof si[0]) == -1 && errno == EINVAL, "write: EINVAL");
    close(fd), close(bfd), close(ep);
    return check_done("t_signalfd");
}
