/* t_pipe: pipes.
 * Checks: 1 MiB from a child to the parent with a checksum (and its length);
 * read returns 0 (EOF) once the writer closes; write with no reader gives
 * EPIPE when SIGPIPE is ignored; pipe2(O_CLOEXEC) sets FD_CLOEXEC and plain
 * pipe does not; poll and select report readable only when data is there
 * (timeout 0 returns 0 when empty), and the write end is writable. */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

#define TOTAL (1 << 20)

static uint32_t byte_at(size_t i)
{
    return (uint32_t)((i * 2654435761u) >> 13) & 0xff;
}

int main(void)
{
    int p[2], status;

    /* 1. 1 MiB from child to parent, in odd-sized writes. */
    if (CHECK(pipe(p) == 0, "pipe")) {
        pid_t pid = fork();
        if (pid == 0) {
            static unsigned char buf[7777];
            size_t sent = 0;
            close(p[0]);
            while (sent < TOTAL) {
                size_t n = TOTAL - sent < sizeof buf ? TOTAL - sent : sizeof buf;
                for (size_t i = 0; i < n; i++)
                    buf[i] = (unsigned char)byte_at(sent + i);
                size_t off = 0;
                while (off < n) {
                    ssize_t w = write(p[1], buf + off, n - off);
                    if (w <= 0)
                        _exit(1);
                    off += (size_t)w;
                }
                sent += n;
            }
            _exit(0);
        }
        close(p[1]);
        static unsigned char rbuf[65536];
        size_t got = 0, bad = 0;
        int reads = 0;
        for (;;) {
            ssize_t n = read(p[0], rbuf, sizeof rbuf);
            if (n <= 0 || ++reads > 1000000)
                break;
            for (ssize_t i = 0; i < n; i++)
                if (rbuf[i] != byte_at(got + (size_t)i))
                    bad++;
            got += (size_t)n;
        }
        close(p[0]);
        waitpid(pid, &status, 0);
        CHECK(got == TOTAL, "1 MiB through a pipe: received %zu bytes", got);
        CHECK(bad == 0, "1 MiB through a pipe: contents match (%zu bad bytes)", bad);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer child exits 0");
    }

    /* 2. EOF after the writer closes (data first, then 0). */
    if (CHECK(pipe(p) == 0, "pipe for EOF")) {
        char b[8];
        CHECK(write(p[1], "abc", 3) == 3, "write 3 bytes");
        close(p[1]);
        ssize_t n = read(p[0], b, sizeof b);
        CHECK(n == 3 && memcmp(b, "abc", 3) == 0, "read gets the 3 bytes after writer closed");
        n = read(p[0], b, sizeof b);
        CHECK(n == 0, "read returns 0 (EOF) once empty and writer closed (got %zd)", n);
        close(p[0]);
    }

    /* 3. EOF seen by a blocked reader when a child writer exits. */
    if (CHECK(pipe(p) == 0, "pipe for child EOF")) {
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            _exit(write(p[1], "xy", 2) == 2 ? 0 : 1);
        }
        close(p[1]);
        char b[8];
        size_t total = 0;
        ssize_t n;
        int i = 0;
        while ((n = read(p[0], b, sizeof b)) > 0 && ++i < 100)
            total += (size_t)n;
        CHECK(n == 0 && total == 2, "reader gets 2 bytes then EOF when child writer exits");
        close(p[0]);
        waitpid(pid, &status, 0);
    }

    /* 4. EPIPE with no readers. */
    signal(SIGPIPE, SIG_IGN);
    if (CHECK(pipe(p) == 0, "pipe for EPIPE")) {
        close(p[0]);
        errno = 0;
        ssize_t n = write(p[1], "z", 1);
        CHECK(n == -1 && errno == EPIPE, "write with no reader gives -1/EPIPE");
        close(p[1]);
    }

    /* 5. SIGPIPE (default action) kills a child that writes with no reader. */
    if (CHECK(pipe(p) == 0, "pipe for SIGPIPE")) {
        close(p[0]);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGPIPE, SIG_DFL);
            (void)!write(p[1], "z", 1);
            _exit(0);
        }
        close(p[1]);
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE, "writer with no reader dies of SIGPIPE by default (raw %#x)", status);
    }

    /* 6. pipe2(O_CLOEXEC). */
    if (CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2(O_CLOEXEC)")) {
        CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC, "pipe2 read end has FD_CLOEXEC");
        CHECK(fcntl(p[1], F_GETFD) == FD_CLOEXEC, "pipe2 write end has FD_CLOEXEC");
        close(p[0]);
        close(p[1]);
    }
    if (CHECK(pipe(p) == 0, "plain pipe")) {
        CHECK(fcntl(p[0], F_GETFD) == 0, "plain pipe read end has no FD_CLOEXEC");
        close(p[0]);
        close(p[1]);
    }
    if (CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2(O_NONBLOCK)")) {
        char b;
        errno = 0;
        CHECK(read(p[0], &b, 1) == -1 && errno == EAGAIN, "empty O_NONBLOCK pipe read gives EAGAIN");
        close(p[0]);
        close(p[1]);
    }

    /* 7. poll. */
    if (CHECK(pipe(p) == 0, "pipe for poll")) {
        struct pollfd pf = { .fd = p[0], .events = POLLIN };
        int r = poll(&pf, 1, 0);
        CHECK(r == 0, "poll on an empty pipe with timeout 0 returns 0 (got %d)", r);
        r = poll(&pf, 1, 10);
        CHECK(r == 0, "poll on an empty pipe with timeout 10 ms returns 0 (got %d)", r);
        struct pollfd wf = { .fd = p[1], .events = POLLOUT };
        r = poll(&wf, 1, 0);
        CHECK(r == 1 && (wf.revents & POLLOUT), "poll: empty pipe's write end is POLLOUT");
        CHECK(write(p[1], "q", 1) == 1, "write 1 byte");
        pf.revents = 0;
        r = poll(&pf, 1, 0);
        CHECK(r == 1 && (pf.revents & POLLIN), "poll reports POLLIN when data is available");
        char b;
        CHECK(read(p[0], &b, 1) == 1 && b == 'q', "read the byte");
        r = poll(&pf, 1, 0);
        CHECK(r == 0, "poll returns 0 again once drained");
        close(p[1]);
        pf.revents = 0;
        r = poll(&pf, 1, 0);
        CHECK(r == 1 && (pf.revents & POLLHUP), "poll reports POLLHUP after the writer closed");
        close(p[0]);
    }

    /* 8. poll wakes when a child writes later. */
    if (CHECK(pipe(p) == 0, "pipe for blocking poll")) {
        pid_t pid = fork();
        if (pid == 0) {
            struct timespec ts = { 0, 30 * 1000000L };
            nanosleep(&ts, NULL);
            _exit(write(p[1], "w", 1) == 1 ? 0 : 1);
        }
        struct pollfd pf = { .fd = p[0], .events = POLLIN };
        int r = poll(&pf, 1, 1500);
        CHECK(r == 1 && (pf.revents & POLLIN), "poll with timeout wakes when a child writes");
        waitpid(pid, &status, 0);
        close(p[0]);
        close(p[1]);
    }

    /* 9. select. */
    if (CHECK(pipe(p) == 0, "pipe for select")) {
        fd_set rs, ws;
        struct timeval tv = { 0, 0 };
        FD_ZERO(&rs);
        FD_SET(p[0], &rs);
        int r = select(p[0] + 1, &rs, NULL, NULL, &tv);
        CHECK(r == 0 && !FD_ISSET(p[0], &rs), "select on an empty pipe with zero timeout returns 0");
        FD_ZERO(&ws);
        FD_SET(p[1], &ws);
        tv.tv_sec = 0;
        tv.tv_usec = 0;
        r = select(p[1] + 1, NULL, &ws, NULL, &tv);
        CHECK(r == 1 && FD_ISSET(p[1], &ws), "select: write end is writable");
        CHECK(write(p[1], "s", 1) == 1, "write 1 byte");
        FD_ZERO(&rs);
        FD_SET(p[0], &rs);
        tv.tv_sec = 0;
        tv.tv_usec = 0;
        r = select(p[0] + 1, &rs, NULL, NULL, &tv);
        CHECK(r == 1 && FD_ISSET(p[0], &rs), "select reports the read end readable with data");
        close(p[0]);
        close(p[1]);
    }

    return check_done("t_pipe");
}
