/* t_netdead: what sockets do when the instance's TCP/IP stack dies.
 * Under Veneer netd is a process-table entry ("netd" in /proc/<pid>/comm,
 * no parent); this program sets up waiters in forked children, kills netd
 * with SIGKILL and checks that nobody hangs: an accept() gets ENETDOWN, a
 * blocked recv() ECONNRESET, poll() POLLERR|POLLHUP, epoll_wait()
 * EPOLLERR|EPOLLHUP; then send() gives EPIPE, socket() ENETDOWN, netd's
 * pid is gone, and fork still works (its child's socket() fails too).  Each child has an alarm, so a hang is a failure,
 * not a stuck test.  On Linux there is no netd to kill: the program says
 * so and checks nothing. */
#include "check.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/* The pid whose /proc/<pid>/comm is "netd", or 0. */
static int find_netd(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int pid = 0;
    while (d && (e = readdir(d)) && !pid) {
        char path[300], comm[32] = "";
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(comm, sizeof comm, f) && !strcmp(comm, "netd\n"))
            pid = atoi(e->d_name);
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return pid;
}

/* Run fn in a child that must finish within 10 s; its exit status. */
static pid_t spawn(int (*fn)(int), int fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        _exit(fn(fd));
    }
    return pid;
}

/* Each returns the errno it saw (0: none), or 150+ for a wrong outcome. */
static int do_accept(int l)
{
    int c = accept(l, NULL, NULL);
    return c >= 0 ? 150 : errno;
}

static int do_recv(int s)
{
    char b[8];
    ssize_t n = recv(s, b, sizeof b, 0);
    return n >= 0 ? 150 + (int)n : errno;
}

static int do_poll(int s)
{
    struct pollfd p = {.fd = s, .events = POLLIN};
    int n = poll(&p, 1, -1);
    return n == 1 && (p.revents & POLLERR) && (p.revents & POLLHUP) ? 0 : 150;
}

static int do_epoll(int s)
{
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &e) != 0)
        return 151;
    int n = epoll_wait(ep, &e, 1, -1);
    return n == 1 && (e.events & EPOLLERR) && (e.events & EPOLLHUP) ? 0 : 150;
}

static int status_of(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int main(void)
{
    struct utsname u;
    uname(&u);
    signal(SIGPIPE, SIG_IGN);
    int netd = find_netd();
    if (!strstr(u.release, "veneer") && !netd) {
        say("no netd to kill on Linux: nothing to check");
        return check_done("t_netdead");
    }
    if (!CHECK(netd > 1, "netd is in the process table (pid %d)", netd))
        return check_done("t_netdead");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s = -1;
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0 &&
          getsockname(l, (struct sockaddr *)&a, &len) == 0, "listener");
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0 && (s = accept(l, NULL, NULL)) >= 0, "a connection");
    pid_t pa = spawn(do_accept, l), pr = spawn(do_recv, s), pp = spawn(do_poll, c), pe = spawn(do_epoll, s);
    usleep(300000);                 /* all four asleep in the libOS */
    CHECK(kill(netd, SIGKILL) == 0, "kill -9 netd");
    int st;
    CHECK((st = status_of(pa)) == ENETDOWN, "blocked accept: ENETDOWN (%d)", st);
    CHECK((st = status_of(pr)) == ECONNRESET, "blocked recv: ECONNRESET (%d)", st);
    CHECK((st = status_of(pp)) == 0, "blocked poll: POLLERR|POLLHUP (%d)", st);
    CHECK((st = status_of(pe)) == 0, "blocked epoll_wait: EPOLLERR|EPOLLHUP (%d)", st);
    CHECK(send(c, "x", 1, 0) < 0 && errno == EPIPE, "send: EPIPE");
    CHECK(socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == ENETDOWN, "socket: ENETDOWN");
    CHECK(kill(netd, 0) < 0 && errno == ESRCH, "netd's pid is gone");
    pid_t f = fork();
    if (f == 0) {
        int k = socket(AF_INET, SOCK_DGRAM, 0);
        _exit(k < 0 && errno == ENETDOWN ? 0 : 1);
    }
    CHECK(f > 0 && status_of(f) == 0, "fork still works, and the child's socket() gets ENETDOWN");
    close(s), close(c), close(l);
    return check_done("t_netdead");
}
