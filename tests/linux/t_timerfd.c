/* t_timerfd: timerfd_create, timerfd_settime, timerfd_gettime, read,
 * poll and epoll; one-shot and periodic timers, absolute times on both
 * clocks, disarming, nonblocking reads, inheritance across fork, and the
 * errors.  Passes on Linux too. */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

static uint64_t now_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static struct itimerspec its(long v_ms, long i_ms)
{
    struct itimerspec t = {{i_ms / 1000, i_ms % 1000 * 1000000}, {v_ms / 1000, v_ms % 1000 * 1000000}};
    return t;
}

int main(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK(fd >= 0, "timerfd_create(CLOCK_MONOTONIC)");
    struct itimerspec cur;
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
          "a new timer is disarmed");

    /* One shot, 50 ms: read blocks until it fires, and gives 1. */
    struct itimerspec t = its(50, 0);
    uint64_t t0 = now_ns(CLOCK_MONOTONIC), n = 0;
    CHECK(timerfd_settime(fd, 0, &t, NULL) == 0, "settime 50 ms one-shot");
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
          cur.it_value.tv_nsec <= 50000000, "gettime: 0 < left <= 50 ms (%ld ns)", (long)cur.it_value.tv_nsec);
    CHECK(read(fd, &n, 8) == 8 && n == 1, "read blocks, then 1 expiration (%llu)", (unsigned long long)n);
    uint64_t dt = now_ns(CLOCK_MONOTONIC) - t0;
    CHECK(dt >= 50000000ull, "it fired no sooner than 50 ms (%llu us)", (unsigned long long)(dt / 1000));
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
          "a fired one-shot timer is disarmed");

    /* Nonblocking: EAGAIN while nothing expired. */
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(nb >= 0 && (fcntl(nb, F_GETFD) & FD_CLOEXEC) && (fcntl(nb, F_GETFL) & O_NONBLOCK), "TFD_NONBLOCK|TFD_CLOEXEC");
    errno = 0;
    CHECK(read(nb, &n, 8) == -1 && errno == EAGAIN, "nonblocking read of a disarmed timer: EAGAIN");

    /* Periodic, 20 ms: after ~110 ms the count is 5 or more, in one read. */
    t = its(20, 20);
    uint64_t armed = now_ns(CLOCK_MONOTONIC);
    CHECK(timerfd_settime(nb, 0, &t, NULL) == 0, "settime 20 ms periodic");
    struct timespec pause = {0, 110000000};
    nanosleep(&pause, NULL);
    long got_n = read(nb, &n, 8) == 8 ? (long)n : -1, want = (long)((now_ns(CLOCK_MONOTONIC) - armed) / 20000000ull);
    CHECK(got_n >= 5 && got_n >= want - 1 && got_n <= want + 1, "one read takes every expiration (%ld, %ld due)", got_n, want);
    errno = 0;
    CHECK(read(nb, &n, 8) == -1 && errno == EAGAIN, "then none are left");
    CHECK(timerfd_gettime(nb, &cur) == 0 && cur.it_interval.tv_nsec == 20000000 && cur.it_value.tv_nsec > 0,
          "gettime shows the interval and the next expiry");

    /* poll and epoll see it (a 100 ms period from here: a loaded machine
     * must not see an extra expiry between two calls). */
    t = its(100, 100);
    timerfd_settime(nb, 0, &t, NULL);
    struct pollfd p = {nb, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0, "poll: not readable right after a read");
    CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN), "poll waits for the next expiry");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77}, got;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, nb, &ev) == 0, "epoll_ctl ADD a timerfd");
    CHECK(epoll_wait(ep, &got, 1, 1000) == 1 && got.data.u32 == 77 && (got.events & EPOLLIN), "epoll_wait reports it");
    CHECK(read(nb, &n, 8) == 8 && n >= 1, "read after epoll");
    ev.events = EPOLLIN | EPOLLET;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, nb, &ev) == 0, "EPOLL_CTL_MOD to edge-triggered");
    int edges = 0;
    for (int i = 0; i < 3; i++)
        edges += epoll_wait(ep, &got, 1, 1000) == 1 && epoll_wait(ep, &got, 1, 0) == 0 && read(nb, &n, 8) == 8;
    CHECK(edges == 3, "edge-triggered: an expiry is one event, then the next (%d of 3)", edges);

    /* Disarm: nothing more comes; pending expirations are dropped. */
    t = its(0, 0);
    CHECK(timerfd_settime(nb, 0, &t, &cur) == 0 && cur.it_interval.tv_nsec == 100000000, "disarm, old value returned");
    nanosleep(&pause, NULL);
    errno = 0;
    CHECK(read(nb, &n, 8) == -1 && errno == EAGAIN, "a disarmed timer has nothing to read");
    CHECK(epoll_wait(ep, &got, 1, 50) == 0, "nor does epoll report it");

    /* Absolute times, on CLOCK_MONOTONIC and CLOCK_REALTIME. */
    struct itimerspec a = {{0, 0}, {0, 0}};
    uint64_t when = now_ns(CLOCK_MONOTONIC) + 30000000ull;
    a.it_value.tv_sec = (time_t)(when / 1000000000ull);
    a.it_value.tv_nsec = (long)(when % 1000000000ull);
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &a, NULL) == 0, "absolute on CLOCK_MONOTONIC");
    CHECK(read(fd, &n, 8) == 8 && n == 1 && now_ns(CLOCK_MONOTONIC) >= when, "fires at that time");
    int rt = timerfd_create(CLOCK_REALTIME, 0);
    when = now_ns(CLOCK_REALTIME) + 30000000ull;
    a.it_value.tv_sec = (time_t)(when / 1000000000ull);
    a.it_value.tv_nsec = (long)(when % 1000000000ull);
    CHECK(rt >= 0 && timerfd_settime(rt, TFD_TIMER_ABSTIME, &a, NULL) == 0, "absolute on CLOCK_REALTIME");
    long rr = read(rt, &n, 8);
    uint64_t after = now_ns(CLOCK_REALTIME);
    CHECK(rr == 8 && n == 1 && after + 2000000ull >= when, "fires at that time (read %ld, %llu, %lld us late)", rr,
          (unsigned long long)n, (long long)(after - when) / 1000);
    a.it_value.tv_sec = 1;                          /* long past */
    a.it_value.tv_nsec = 0;
    CHECK(timerfd_settime(rt, TFD_TIMER_ABSTIME, &a, NULL) == 0 && read(rt, &n, 8) == 8 && n == 1,
          "an absolute time in the past expires at once");

    /* Inherited across fork: the child reads the shared timer. */
    t = its(30, 0);
    timerfd_settime(fd, 0, &t, NULL);
    pid_t c = fork();
    if (c == 0) {
        uint64_t m = 0;
        _exit(read(fd, &m, 8) == 8 && m == 1 ? 0 : 1);
    }
    int st = -1;
    CHECK(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child reads the timer");

    /* Errors. */
    errno = 0;
    CHECK(timerfd_create(12345, 0) == -1 && errno == EINVAL, "timerfd_create(bad clock): EINVAL");
    errno = 0;
    CHECK(timerfd_create(CLOCK_MONOTONIC, 0x4000) == -1 && errno == EINVAL, "timerfd_create(bad flags): EINVAL");
    errno = 0;
    CHECK(read(fd, &n, 4) == -1 && errno == EINVAL, "read of 4 bytes: EINVAL");
    t = its(10, 0);
    t.it_value.tv_nsec = 1000000000;
    errno = 0;
    CHECK(timerfd_settime(fd, 0, &t, NULL) == -1 && errno == EINVAL, "tv_nsec = 1e9: EINVAL");
    t = its(10, 0);
    errno = 0;
    CHECK(timerfd_settime(fd, 0x10, &t, NULL) == -1 && errno == EINVAL, "settime(bad flags): EINVAL");
    errno = 0;
    CHECK(timerfd_settime(99, 0, &t, NULL) == -1 && errno == EBADF, "settime(bad fd): EBADF");
    errno = 0;
    CHECK(timerfd_settime(0, 0, &t, NULL) == -1 && errno == EINVAL, "settime(not a timerfd): EINVAL");
    errno = 0;
    CHECK(timerfd_gettime(ep, &cur) == -1 && errno == EINVAL, "gettime(an epoll fd): EINVAL");
    errno = 0;
    CHECK(timerfd_settime(fd, 0, (void *)8, NULL) == -1 && errno == EFAULT, "settime(bad pointer): EFAULT");
    errno = 0;
    CHECK(timerfd_gettime(fd, (void *)8) == -1 && errno == EFAULT, "gettime(bad pointer): EFAULT");
    errno = 0;
    CHECK(write(fd, &n, 8) == -1 && errno == EINVAL, "write: EINVAL");
    close(fd), close(nb), close(rt), close(ep);
    return check_done("t_timerfd");
}
