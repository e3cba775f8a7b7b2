/* t_hostile_io: the new descriptor and socket calls refuse what a hostile
 * program hands them, and the libOS keeps working afterwards.
 * Pointers aimed at the POSIX libOS's own memory under Veneer (its text
 * at 0x7d0000000000, the shared arena at 0x7d8000000000, which holds every
 * description, pipe and socket of the instance), the kernel half, 1 and
 * unmapped pages are given to epoll_ctl, epoll_wait, epoll_pwait, eventfd
 * reads and writes, sendmsg, recvmsg (header, iovecs, name), sendmmsg and
 * recvmmsg, timerfd_settime/gettime and signalfd4: each must fail with EFAULT (or EINVAL where Linux checks that
 * first) and write nothing there.  Then 3000 calls with arguments drawn
 * from those pointers, good buffers and odd integers (fixed seed); after
 * them an epoll set over a pipe, an eventfd and a UDP socket pair on
 * 127.0.0.1 must still work.  On Linux the same addresses are unmapped,
 * so the program passes there too (the UDP part needs a NIC under Veneer). */
#define _GNU_SOURCE
#include "check.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

static void *const bad[] = {
    (void *)1, (void *)0x7d0000000000ul, (void *)0x7d8000000000ul, (void *)0x7d8000001000ul,
    (void *)0xffff800000000000ul, (void *)0x7ffffffff000ul - 0x1000000000ul,
};
#define NBAD (sizeof bad / sizeof bad[0])

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static int udp_pair(int *a, int *b)
{
    struct sockaddr_in x = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof x;
    *a = socket(AF_INET, SOCK_DGRAM, 0);
    *b = socket(AF_INET, SOCK_DGRAM, 0);
    if (*a < 0 || *b < 0 || bind(*a, (struct sockaddr *)&x, sizeof x) || getsockname(*a, (struct sockaddr *)&x, &len) ||
        connect(*b, (struct sockaddr *)&x, sizeof x))
        return -1;
    return 0;
}

static void pointed_at(int ep, int efd, int us)
{
    for (unsigned i = 0; i < NBAD; i++) {
        void *p = bad[i];
        struct epoll_event e = {.events = EPOLLIN};
        char ok[16];
        struct iovec iov = {.iov_base = p, .iov_len = 16}, good = {.iov_base = ok, .iov_len = sizeof ok};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        CHECK(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, p) < 0 && errno == EFAULT, "epoll_ctl event at %p: EFAULT",
              p);
        epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e);
        uint64_t one = 1;
        write(efd, &one, 8);
        CHECK(syscall(SYS_epoll_wait, ep, p, 4, 0) < 0 && errno == EFAULT, "epoll_wait events at %p: EFAULT", p);
        CHECK(syscall(SYS_epoll_pwait, ep, &e, 1, 0, p, 8) < 0 && errno == EFAULT, "epoll_pwait mask at %p: EFAULT", p);
        CHECK(syscall(SYS_read, efd, p, 8) < 0 && errno == EFAULT, "eventfd read into %p: EFAULT", p);
        CHECK(syscall(SYS_write, efd, p, 8) < 0 && errno == EFAULT, "eventfd write from %p: EFAULT", p);
        epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL);
        if (us < 0)
            continue;
        CHECK(syscall(SYS_sendmsg, us, p, 0) < 0 && errno == EFAULT, "sendmsg header at %p: EFAULT", p);
        CHECK(syscall(SYS_sendmsg, us, &m, 0) < 0 && errno == EFAULT, "sendmsg iovec base %p: EFAULT", p);
        m.msg_iov = p;
        CHECK(syscall(SYS_recvmsg, us, &m, MSG_DONTWAIT) < 0 && errno == EFAULT, "recvmsg iovec array at %p: EFAULT", p);
        m.msg_iov = &good;
        m.msg_name = p;
        m.msg_namelen = 16;
        CHECK(syscall(SYS_sendmsg, us, &m, 0) < 0 && errno == EFAULT, "sendmsg name at %p: EFAULT", p);
        CHECK(syscall(SYS_sendmmsg, us, p, 2, 0) < 0 && errno == EFAULT, "sendmmsg vector at %p: EFAULT", p);
        CHECK(syscall(SYS_recvmmsg, us, p, 2, MSG_DONTWAIT, NULL) < 0 && errno == EFAULT, "recvmmsg vector at %p: EFAULT",
              p);
    }
    CHECK(syscall(SYS_epoll_wait, ep, bad[0], 0x7fffffff, 0) < 0, "epoll_wait with a huge maxevents: refused");
    CHECK(syscall(SYS_eventfd2, 0, 0x7fffffff) < 0 && errno == EINVAL, "eventfd2 with every flag: EINVAL");
    /* timerfd and signalfd given the same pointers. */
    int tfd = (int)syscall(SYS_timerfd_create, 1, 04000), sfd = -1;
    uint64_t mask = 1ul << (SIGUSR1 - 1);
    sfd = (int)syscall(SYS_signalfd4, -1, &mask, 8, 04000);
    CHECK(tfd >= 0 && sfd >= 0, "a timerfd and a signalfd");
    struct itimerspec its = {{0, 0}, {100, 0}};
    for (unsigned i = 0; i < NBAD; i++) {
        void *p = bad[i];
        CHECK(syscall(SYS_timerfd_settime, tfd, 0, p, NULL) < 0 && errno == EFAULT, "timerfd_settime new at %p: EFAULT", p);
        CHECK(syscall(SYS_timerfd_settime, tfd, 0, &its, p) < 0 && errno == EFAULT, "timerfd_settime old at %p: EFAULT", p);
        CHECK(syscall(SYS_timerfd_gettime, tfd, p) < 0 && errno == EFAULT, "timerfd_gettime at %p: EFAULT", p);
        CHECK(syscall(SYS_signalfd4, -1, p, 8, 0) < 0 && errno == EFAULT, "signalfd4 mask at %p: EFAULT", p);
    }
    close(tfd);
    close(sfd);
}

static void random_calls(int ep, int efd, int us, int pfd)
{
    static char buf[256];
    static const long nums[] = {0, 1, 2, 3, -1, 8, 64, 1024, 0x7fffffff, -0x80000000l, 4096, 65536};
    for (int k = 0; k < 3000; k++) {
        long a[6];
        for (int i = 0; i < 6; i++) {
            uint64_t r = next();
            a[i] = r % 3 == 0 ? (long)bad[(r >> 8) % NBAD] : r % 3 == 1 ? (long)buf : nums[(r >> 8) % 12];
        }
        static const long fds[] = {-1, 0, 1, 255, 256, 9999};
        long fd[] = {ep, efd, us, pfd, fds[next() % 6]};
        long f = fd[next() % 5];
        switch (next() % 12) {
        case 0: syscall(SYS_epoll_ctl, ep, a[0] & 3, f, a[1]); break;
        case 1: syscall(SYS_epoll_wait, f, a[0], a[1] & 0xff, 0); break;
        case 2: syscall(SYS_epoll_pwait, f, a[0], a[1] & 0xff, 0, a[2], a[3] & 15); break;
        case 3: syscall(SYS_sendmsg, f, a[0], MSG_DONTWAIT); break;
        case 4: syscall(SYS_recvmsg, f, a[0], MSG_DONTWAIT); break;
        case 5: syscall(SYS_sendmmsg, f, a[0], a[1] & 0xff, MSG_DONTWAIT); break;
        case 6: syscall(SYS_recvmmsg, f, a[0], a[1] & 0xff, MSG_DONTWAIT, NULL); break;
        case 7: syscall(SYS_read, next() & 1 ? efd : pfd, a[0], a[1] & 0xff); break;     /* both nonblocking */
        case 8: syscall(SYS_epoll_create1, a[0]); break;
        case 9: syscall(SYS_timerfd_create, a[0] & 7, (a[1] & 04000) | 04000); break;     /* nonblocking */
        case 10: syscall(next() & 1 ? SYS_timerfd_settime : SYS_timerfd_gettime, f, a[0] & 3, a[1], a[2]); break;
        case 11: syscall(SYS_signalfd4, next() & 1 ? -1 : f, a[0], a[1] & 15, (a[2] & 02000000) | 04000); break;
        }
    }
    for (int fd = 10; fd < 256; fd++)       /* what epoll_create1 made */
        if (fd != ep && fd != efd && fd != us && fd != pfd)
            close(fd);
}

int main(void)
{
    int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK), p[2], ua = -1, ub = -1;
    CHECK(ep >= 0 && efd >= 0 && pipe2(p, O_NONBLOCK) == 0, "an epoll set, an eventfd, a pipe");
    int have_net = udp_pair(&ua, &ub) == 0;
    if (!have_net)
        say("no UDP sockets (no NIC?): the socket calls are left out");
    /* keep them clear of the random close range */
    ep = dup2(ep, 3), efd = dup2(efd, 4), p[0] = dup2(p[0], 5), p[1] = dup2(p[1], 6);
    if (have_net)
        ua = dup2(ua, 7), ub = dup2(ub, 8);
    pointed_at(ep, efd, have_net ? ub : -1);
    random_calls(ep, efd, have_net ? ub : -1, p[0]);

    /* Still working: one epoll set over all of them. */
    int e2 = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN}, out[4];
    uint64_t v = 5;
    char c;
    while (read(p[0], &c, 1) == 1)
        ;
    e.data.u32 = 1, epoll_ctl(e2, EPOLL_CTL_ADD, p[0], &e);
    e.data.u32 = 2, epoll_ctl(e2, EPOLL_CTL_ADD, efd, &e);
    read(efd, &v, 8);
    v = 5;
    CHECK(write(p[1], "z", 1) == 1 && write(efd, &v, 8) == 8, "pipe and eventfd still take writes");
    int want = 2;
    if (have_net) {
        e.data.u32 = 3, epoll_ctl(e2, EPOLL_CTL_ADD, ua, &e);
        CHECK(send(ub, "ping", 4, 0) == 4, "the UDP socket still sends");
        want = 3;
    }
    /* For up to 5 s: the pipe and the eventfd are ready at once (level-
     * triggered, so each wait returns at once too), while a datagram on
     * Veneer reaches its socket through netd a moment after send returns
     * (on Linux, within send). */
    int got = 0, n, seen = 0;
    struct timespec t0, now, ms = {0, 1000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        if ((n = epoll_wait(e2, out, 4, 100)) > 0)
            for (int i = 0; i < n; i++)
                seen |= 1 << (out[i].data.u32 - 1), got++;
        if (seen != (1 << want) - 1)
            nanosleep(&ms, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (seen != (1 << want) - 1 && now.tv_sec - t0.tv_sec < 5);
    CHECK(seen == (1 << want) - 1, "a fresh epoll set sees all %d ready (mask %#x)", want, seen);
    return check_done("t_hostile_io");
}
