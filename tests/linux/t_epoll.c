/* t_epoll: epoll and eventfd over pipes, a TCP socket pair on 127.0.0.1
 * and the tty (under Veneer the sockets need netd, so a NIC).
 * Checks: creation and argument errors; level-triggered reports while
 * ready, edge-triggered only on new events, EPOLLONESHOT until
 * EPOLL_CTL_MOD; EPOLLHUP / EPOLLERR on pipes whose other end went;
 * timeouts (0 at the deadline, not before); EINTR from a timer signal;
 * a socket's readiness through accept, data and the peer's shutdown
 * (EPOLLRDHUP); the interest list shared with a forked child (its wait
 * sees the parent's event, its ADD shows in the parent); a closed
 * description drops out, a dup'ed one stays; a small maxevents still
 * reaches every ready item; eventfd counter and semaphore semantics. */
#include "check.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static long ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* One epoll_wait; returns the count, with the first report in *e. */
static int wait1(int ep, struct epoll_event *e, int timeout)
{
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, timeout);
    if (n > 0)
        *e = evs[0];
    return n;
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void basics(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC), p[2], f;
    struct epoll_event e = {0};
    CHECK(ep >= 0 && (fcntl(ep, F_GETFD) & FD_CLOEXEC), "epoll_create1(EPOLL_CLOEXEC)");
    CHECK(syscall(SYS_epoll_create, 0) < 0 && errno == EINVAL, "epoll_create(0): EINVAL");
    CHECK(epoll_create1(0x1234) < 0 && errno == EINVAL, "epoll_create1(bad flags): EINVAL");
    CHECK(pipe(p) == 0, "pipe");
    CHECK(add(ep, p[0], EPOLLIN, 11) == 0, "ADD a pipe's read end");
    CHECK(add(ep, p[0], EPOLLIN, 11) < 0 && errno == EEXIST, "ADD again: EEXIST");
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e) < 0 && errno == ENOENT, "MOD of an fd not added: ENOENT");
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) < 0 && errno == ENOENT, "DEL of an fd not added: ENOENT");
    CHECK(add(ep, 999, EPOLLIN, 0) < 0 && errno == EBADF, "ADD a bad fd: EBADF");
    CHECK(add(ep, ep, EPOLLIN, 0) < 0 && errno == EINVAL, "ADD the epoll fd to itself: EINVAL");
    CHECK(add(p[0], p[1], EPOLLIN, 0) < 0 && errno == EINVAL, "epoll_ctl on a pipe: EINVAL");
    CHECK(epoll_ctl(ep, 77, p[0], &e) < 0 && errno == EINVAL, "unknown op: EINVAL");
    f = open("/tmp/t_epoll.file", O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(f >= 0 && add(ep, f, EPOLLIN, 0) < 0 && errno == EPERM, "ADD a regular file: EPERM");
    close(f);
    unlink("/tmp/t_epoll.file");
    CHECK(epoll_wait(ep, &e, 0, 0) < 0 && errno == EINVAL, "maxevents 0: EINVAL");
    CHECK(epoll_wait(p[0], &e, 1, 0) < 0 && errno == EINVAL, "epoll_wait on a pipe: EINVAL");

    long t0 = ms_now();
    int n = wait1(ep, &e, 120);
    long dt = ms_now() - t0;
    CHECK(n == 0 && dt >= 100, "nothing ready: 0 after the timeout (%ld ms)", dt);
    CHECK(write(p[1], "ab", 2) == 2, "write 2 bytes");
    n = wait1(ep, &e, 1000);
    CHECK(n == 1 && e.events == EPOLLIN && e.data.u64 == 11, "level: EPOLLIN with its data");
    n = wait1(ep, &e, 0);
    CHECK(n == 1 && e.events == EPOLLIN, "level: still reported while unread");
    char c[2];
    CHECK(read(p[0], c, 2) == 2, "drain");
    CHECK(wait1(ep, &e, 0) == 0, "level: drained, no report");

    /* edge-triggered */
    e = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 12};
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e) == 0, "MOD to EPOLLET");
    CHECK(write(p[1], "x", 1) == 1 && wait1(ep, &e, 1000) == 1 && e.data.u64 == 12, "edge: the new byte reported");
    CHECK(wait1(ep, &e, 50) == 0, "edge: not again without a new event");
    CHECK(write(p[1], "y", 1) == 1 && wait1(ep, &e, 1000) == 1, "edge: a second byte is a new event");
    CHECK(read(p[0], c, 2) == 2 && wait1(ep, &e, 0) == 0, "edge: drained, nothing");

    /* one-shot */
    e = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 13};
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e) == 0, "MOD to EPOLLONESHOT");
    CHECK(write(p[1], "z", 1) == 1 && wait1(ep, &e, 1000) == 1 && e.data.u64 == 13, "oneshot: reported once");
    CHECK(wait1(ep, &e, 30) == 0, "oneshot: then disabled though still readable");
    e = (struct epoll_event){.events = EPOLLIN, .data.u64 = 14};
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e) == 0 && wait1(ep, &e, 0) == 1 && e.data.u64 == 14,
          "MOD re-arms it");
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0 && wait1(ep, &e, 0) == 0, "DEL: no more reports");

    /* hang-up and error */
    CHECK(add(ep, p[0], EPOLLIN, 15) == 0 && add(ep, p[1], EPOLLOUT, 16) == 0, "ADD both ends");
    close(p[1]);
    n = wait1(ep, &e, 1000);
    CHECK(n == 1 && e.data.u64 == 15 && (e.events & EPOLLHUP) && (e.events & EPOLLIN),
          "writer gone: EPOLLHUP (with the unread byte)");
    int q[2];
    CHECK(pipe(q) == 0 && add(ep, q[1], EPOLLOUT, 17) == 0, "a second pipe's write end");
    close(q[0]);
    close(p[0]);
    n = wait1(ep, &e, 1000);
    CHECK(n == 1 && e.data.u64 == 17 && (e.events & EPOLLERR), "reader gone: EPOLLERR on the write end");
    close(q[1]);
    CHECK(wait1(ep, &e, 0) == 0, "closed descriptions drop out of the list");

    /* a dup keeps the description, and its item, alive */
    CHECK(pipe(p) == 0 && add(ep, p[0], EPOLLIN, 18) == 0, "ADD again");
    int d = dup(p[0]);
    close(p[0]);
    CHECK(write(p[1], "w", 1) == 1 && wait1(ep, &e, 1000) == 1 && e.data.u64 == 18,
          "fd closed but its description dup'ed: still reported");
    close(d);
    CHECK(wait1(ep, &e, 0) == 0, "last descriptor closed: dropped");
    close(p[1]);

    /* EINTR */
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK(wait1(ep, &e, -1) < 0 && errno == EINTR, "a signal ends an endless wait: EINTR");
    sigset_t all;
    sigfillset(&all);
    CHECK(epoll_pwait(ep, &e, 1, 20, &all) == 0, "epoll_pwait with a mask: timeout");
    close(ep);
}

static void fairness(void)
{
    int ep = epoll_create1(0), p[3][2];
    uint64_t seen = 0;
    for (int i = 0; i < 3; i++) {
        pipe(p[i]);
        write(p[i][1], "r", 1);
        add(ep, p[i][0], EPOLLIN, (uint64_t)1 << i);
    }
    for (int k = 0; k < 3; k++) {
        struct epoll_event e;
        if (epoll_wait(ep, &e, 1, 0) == 1)
            seen |= e.data.u64;
    }
    CHECK(seen == 7, "maxevents 1, three ready: each reported in turn (%#lx)", (unsigned long)seen);
    for (int i = 0; i < 3; i++)
        close(p[i][0]), close(p[i][1]);
    close(ep);
}

static void inherit(void)
{
    int ep = epoll_create1(0), p[2], q[2], st;
    struct epoll_event e;
    pipe(p);
    pipe(q);
    add(ep, p[0], EPOLLIN, 21);
    pid_t pid = fork();
    if (pid == 0) {
        struct epoll_event ce;
        int n = wait1(ep, &ce, 5000);
        if (n != 1 || ce.data.u64 != 21)
            _exit(1);
        if (add(ep, q[0], EPOLLIN, 22) != 0)
            _exit(2);
        _exit(0);
    }
    usleep(20000);
    write(p[1], "f", 1);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "forked child waits on the inherited epoll fd (status %#x)", st);
    char c;
    read(p[0], &c, 1);
    write(q[1], "g", 1);
    CHECK(wait1(ep, &e, 1000) == 1 && e.data.u64 == 22, "the child's ADD is in the parent's list too");
    close(p[0]), close(p[1]), close(q[0]), close(q[1]), close(ep);
}

static void sockets(void)
{
    int ep = epoll_create1(0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    struct epoll_event e;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0 &&
               getsockname(l, (struct sockaddr *)&a, &len) == 0, "listener on 127.0.0.1"))
        return;
    CHECK(add(ep, l, EPOLLIN, 31) == 0 && wait1(ep, &e, 0) == 0, "listener: nothing yet");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    CHECK(wait1(ep, &e, 3000) == 1 && e.data.u64 == 31 && (e.events & EPOLLIN), "listener: EPOLLIN on a connection");
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0 && add(ep, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 32) == 0, "accepted; ADD EPOLLET");
    CHECK(wait1(ep, &e, 1000) == 1 && e.data.u64 == 32 && e.events == EPOLLOUT, "connected: EPOLLOUT only (%#x)",
          e.events);
    CHECK(write(c, "hello", 5) == 5, "peer sends");
    int n = wait1(ep, &e, 3000);
    CHECK(n == 1 && (e.events & EPOLLIN) && !(e.events & EPOLLRDHUP), "data: EPOLLIN (%#x)", e.events);
    char buf[16];
    CHECK(read(s, buf, sizeof buf) == 5, "read it");
    shutdown(c, SHUT_WR);
    n = wait1(ep, &e, 3000);
    CHECK(n == 1 && (e.events & EPOLLRDHUP) && (e.events & EPOLLIN), "peer's shutdown: EPOLLRDHUP|EPOLLIN (%#x)",
          e.events);
    CHECK(read(s, buf, sizeof buf) == 0, "and EOF");
    close(c);
    close(s);
    close(l);
    close(ep);
}

static void tty_and_eventfd(void)
{
    int ep = epoll_create1(0);
    struct epoll_event e;
    if (isatty(1))
        CHECK(add(ep, 1, EPOLLOUT, 41) == 0 && wait1(ep, &e, 1000) == 1 && e.events == EPOLLOUT && e.data.u64 == 41,
              "the tty: EPOLLOUT");
    if (isatty(1))
        CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, 1, NULL) == 0, "DEL the tty");
    int efd = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    CHECK(efd >= 0 && read(efd, &v, 8) == 8 && v == 3, "eventfd(3): read 3");
    CHECK(read(efd, &v, 8) < 0 && errno == EAGAIN, "then EAGAIN (nonblocking)");
    CHECK(add(ep, efd, EPOLLIN, 42) == 0 && wait1(ep, &e, 0) == 0, "epoll on it: not readable");
    v = 2;
    CHECK(write(efd, &v, 8) == 8 && (v = 5, write(efd, &v, 8)) == 8, "write 2, write 5");
    CHECK(wait1(ep, &e, 1000) == 1 && e.data.u64 == 42, "epoll: readable");
    CHECK(read(efd, &v, 8) == 8 && v == 7, "read the sum, 7");
    v = ~0ull;
    CHECK(write(efd, &v, 8) < 0 && errno == EINVAL, "write 2^64-1: EINVAL");
    CHECK(read(efd, &v, 4) < 0 && errno == EINVAL, "read of 4 bytes: EINVAL");
    v = 0xfffffffffffffffeull;
    CHECK(write(efd, &v, 8) == 8 && (v = 1, write(efd, &v, 8)) < 0 && errno == EAGAIN, "full counter: EAGAIN");
    close(efd);
    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(read(sem, &v, 8) == 8 && v == 1 && read(sem, &v, 8) == 8 && v == 1, "semaphore: 1 at a time");
    CHECK(read(sem, &v, 8) < 0 && errno == EAGAIN, "semaphore: empty");
    /* a blocking read woken by a forked child's write */
    int blk = eventfd(0, 0), st;
    pid_t pid = fork();
    if (pid == 0) {
        usleep(30000);
        uint64_t one = 9;
        _exit(write(blk, &one, 8) == 8 ? 0 : 1);
    }
    CHECK(read(blk, &v, 8) == 8 && v == 9, "blocking read woken by the child's write");
    waitpid(pid, &st, 0);
    close(sem);
    close(blk);
    close(ep);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    basics();
    fairness();
    inherit();
    sockets();
    tty_and_eventfd();
    return check_done("t_epoll");
}
