/* t_sock: AF_INET sockets on the loopback address (served by netd under
 * Veneer; needs a NIC there, since netd runs only with one).
 * Checks: TCP listen/connect/accept with getsockname/getpeername; 256 KiB
 * from a forked child to the parent with a checksum, then EOF; a
 * nonblocking accept and recv give EAGAIN; poll over a pipe and a socket
 * reports only the one with data; shutdown(SHUT_WR) gives the peer EOF
 * while it can still send back; a connection to a closed port is refused
 * (ECONNREFUSED, and SO_ERROR after a nonblocking connect); SO_TYPE,
 * SO_REUSEADDR accepted, an unknown option ENOPROTOOPT; UDP datagrams
 * both ways with their sender's address and boundaries kept. */
#define _GNU_SOURCE             /* accept4 */
#include "check.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define TOTAL (256 << 10)

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int listener(struct sockaddr_in *bound)
{
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    CHECK(s >= 0, "socket(AF_INET, SOCK_STREAM)");
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR accepted");
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind 127.0.0.1:0");
    CHECK(listen(s, 4) == 0, "listen");
    CHECK(getsockname(s, (struct sockaddr *)bound, &len) == 0 && ntohs(bound->sin_port) != 0, "getsockname: port %d",
          ntohs(bound->sin_port));
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in where, peer;
    socklen_t len;
    int l = listener(&where), status;

    /* 1. Connect, accept, names; 256 KiB from a child, checksummed. */
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        static unsigned char buf[5000];
        uint32_t sum = 0;
        if (connect(c, (struct sockaddr *)&where, sizeof where) != 0)
            _exit(2);
        for (size_t sent = 0; sent < TOTAL;) {
            size_t n = TOTAL - sent < sizeof buf ? TOTAL - sent : sizeof buf;
            for (size_t i = 0; i < n; i++)
                sum = sum * 31 + (buf[i] = (unsigned char)((sent + i) * 7 >> 3));
            for (size_t off = 0; off < n;) {
                ssize_t w = write(c, buf + off, n - off);
                if (w <= 0)
                    _exit(3);
                off += (size_t)w;
            }
            sent += n;
        }
        if (write(c, &sum, 4) != 4)
            _exit(4);
        close(c);
        _exit(0);
    }
    len = sizeof peer;
    int a = accept(l, (struct sockaddr *)&peer, &len);
    CHECK(a >= 0 && len == sizeof peer && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "accept: peer 127.0.0.1:%d",
          ntohs(peer.sin_port));
    struct sockaddr_in me2;
    len = sizeof me2;
    CHECK(getpeername(a, (struct sockaddr *)&me2, &len) == 0 && me2.sin_port == peer.sin_port, "getpeername");
    len = sizeof me2;
    CHECK(getsockname(a, (struct sockaddr *)&me2, &len) == 0 && me2.sin_port == where.sin_port,
          "getsockname of the accepted socket: the listener's port");
    {
        static unsigned char buf[TOTAL + 4];
        size_t got = 0;
        ssize_t r;
        while ((r = read(a, buf + got, sizeof buf - got)) > 0)
            got += (size_t)r;
        uint32_t sum = 0, theirs;
        for (size_t i = 0; i < TOTAL && got == TOTAL + 4; i++)
            sum = sum * 31 + buf[i];
        memcpy(&theirs, buf + TOTAL, 4);
        CHECK(r == 0 && got == TOTAL + 4 && sum == theirs, "256 KiB through TCP, then EOF (%zu bytes)", got);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the sender exited 0");
    close(a);

    /* 2. Nonblocking accept and recv; poll over a pipe and a socket. */
    fcntl(l, F_SETFL, O_NONBLOCK);
    CHECK(accept(l, NULL, NULL) < 0 && errno == EAGAIN, "nonblocking accept with nobody waiting: EAGAIN");
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fcntl(c, F_GETFD) == FD_CLOEXEC, "SOCK_CLOEXEC");
    CHECK(connect(c, (struct sockaddr *)&where, sizeof where) == 0, "connect");
    struct pollfd lp = {l, POLLIN, 0};
    CHECK(poll(&lp, 1, 5000) == 1 && (lp.revents & POLLIN), "poll: the listener is readable");
    a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    CHECK(a >= 0, "accept4(SOCK_NONBLOCK)");
    char ch;
    CHECK(recv(a, &ch, 1, 0) < 0 && errno == EAGAIN, "nonblocking recv with no data: EAGAIN");
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    CHECK(write(c, "x", 1) == 1, "send a byte");
    struct pollfd fds[2] = {{p[0], POLLIN, 0}, {a, POLLIN, 0}};
    CHECK(poll(fds, 2, 5000) == 1 && fds[1].revents == POLLIN && fds[0].revents == 0,
          "poll: the socket readable, the empty pipe not");
    CHECK(read(a, &ch, 1) == 1 && ch == 'x', "the byte arrives");

    /* 3. Half close. */
    CHECK(shutdown(c, SHUT_WR) == 0, "shutdown(SHUT_WR)");
    fds[1].revents = 0;
    CHECK(poll(&fds[1], 1, 5000) == 1 && read(a, &ch, 1) == 0, "the peer reads EOF");
    CHECK(send(a, "back", 4, 0) == 4, "and can still send");
    char back[8] = {0};
    CHECK(recv(c, back, sizeof back, 0) == 4 && !memcmp(back, "back", 4), "the half-closed side receives");
    CHECK(send(c, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "send after SHUT_WR: EPIPE");
    close(a);
    close(c);
    close(p[0]);
    close(p[1]);

    /* 4. Refused connections, options. */
    struct sockaddr_in closed = where;
    close(l);
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&closed, sizeof closed) < 0 && errno == ECONNREFUSED,
          "connect to a closed port: ECONNREFUSED");
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&closed, sizeof closed);
    CHECK(r < 0 && (errno == EINPROGRESS || errno == ECONNREFUSED), "nonblocking connect: EINPROGRESS");
    struct pollfd cp = {c, POLLOUT, 0};
    int err = 0, type = 0, x = 1;
    len = sizeof err;
    CHECK(poll(&cp, 1, 5000) == 1 && getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
          (err == ECONNREFUSED || errno == ECONNREFUSED), "then SO_ERROR: ECONNREFUSED (%d)", err);
    len = sizeof type;
    CHECK(getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM, "SO_TYPE");
    CHECK(setsockopt(c, SOL_SOCKET, 12345, &x, sizeof x) < 0 && errno == ENOPROTOOPT, "unknown option: ENOPROTOOPT");
    close(c);

    /* 5. UDP both ways. */
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a1 = loopback(0), a2 = loopback(0);
    len = sizeof a1;
    CHECK(u1 >= 0 && bind(u1, (struct sockaddr *)&a1, sizeof a1) == 0 &&
          getsockname(u1, (struct sockaddr *)&a1, &len) == 0, "UDP bind");
    len = sizeof a2;
    CHECK(bind(u2, (struct sockaddr *)&a2, sizeof a2) == 0 && getsockname(u2, (struct sockaddr *)&a2, &len) == 0,
          "a second one");
    CHECK(sendto(u2, "one", 3, 0, (struct sockaddr *)&a1, sizeof a1) == 3 &&
          sendto(u2, "second", 6, 0, (struct sockaddr *)&a1, sizeof a1) == 6, "two datagrams");
    char dg[16];
    struct sockaddr_in from;
    len = sizeof from;
    r = (int)recvfrom(u1, dg, sizeof dg, 0, (struct sockaddr *)&from, &len);
    CHECK(r == 3 && !memcmp(dg, "one", 3) && from.sin_port == a2.sin_port, "the first, from its sender");
    CHECK(recv(u1, dg, sizeof dg, 0) == 6 && !memcmp(dg, "second", 6), "the second, whole");
    CHECK(connect(u1, (struct sockaddr *)&a2, sizeof a2) == 0 && send(u1, "reply", 5, 0) == 5, "connected UDP send");
    CHECK(recv(u2, dg, sizeof dg, 0) == 5 && !memcmp(dg, "reply", 5), "and its reply arrives");
    close(u1);
    close(u2);
    return check_done("t_sock");
}
