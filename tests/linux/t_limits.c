/* t_limits: the limits and the small reports programs read.
 * getrlimit/setrlimit/prlimit64 give real limits: RLIMIT_NOFILE is how
 * many descriptors can really be open, RLIMIT_STACK how deep the stack
 * really reaches, a finite RLIMIT_AS really stops a larger mapping; a
 * lowered limit is what get returns; raising the hard limit is EPERM.
 * /proc/uptime counts seconds since boot.  FIONREAD on a pipe and on a
 * TCP socket on 127.0.0.1 counts the bytes waiting.  /proc/<pid>/cmdline
 * after execve shows the new argv.  Passes on Linux too. */
#define _GNU_SOURCE
#include "check.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* Touch the stack down to about depth bytes below here: the frames used. */
static int __attribute__((noinline)) deep(long depth)
{
    volatile char pad[16384];
    pad[0] = 1;
    pad[sizeof pad - 1] = 1;
    return depth <= (long)sizeof pad ? pad[0] : deep(depth - (long)sizeof pad) + pad[sizeof pad - 1];
}

static void limits(void)
{
    struct rlimit r, r2;
    CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur > 3 && r.rlim_cur <= r.rlim_max, "RLIMIT_NOFILE %llu/%llu",
          (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
    int top = -1, n = 0;
    for (;;) {
        int fd = dup(0);
        if (fd < 0)
            break;
        top = fd;
        n++;
    }
    int e = errno;
    CHECK(e == EMFILE && (rlim_t)top + 1 == r.rlim_cur, "descriptors open up to the limit, then EMFILE (top %d)", top);
    for (int fd = 3; fd <= top; fd++)
        close(fd);
    (void)n;

    CHECK(getrlimit(RLIMIT_STACK, &r) == 0 && r.rlim_cur >= (1u << 20), "RLIMIT_STACK %llu", (unsigned long long)r.rlim_cur);
    if (r.rlim_cur != RLIM_INFINITY) {
        long reach = (long)r.rlim_cur - (512l << 10);           /* what the environment and calls took */
        CHECK(deep(reach) == (int)((reach + 16383) / 16384), "the stack reaches %ld bytes", reach);
    }

    CHECK(getrlimit(RLIMIT_AS, &r) == 0 && getrlimit(RLIMIT_DATA, &r2) == 0, "RLIMIT_AS %llu, RLIMIT_DATA %llu",
          (unsigned long long)r.rlim_cur, (unsigned long long)r2.rlim_cur);
    if (r.rlim_cur == RLIM_INFINITY) {                          /* Linux: impose one, then see it hold */
        r.rlim_cur = 512ul << 20;
        CHECK(setrlimit(RLIMIT_AS, &r) == 0, "setrlimit RLIMIT_AS to 512 MiB");
    }
    void *big = mmap(NULL, r.rlim_cur + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    e = errno;
    CHECK(big == MAP_FAILED && e == ENOMEM, "a mapping past RLIMIT_AS: ENOMEM");
    void *small = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(small != MAP_FAILED && r.rlim_cur > (1u << 20), "1 MiB fits");
    if (small != MAP_FAILED)
        munmap(small, 1 << 20);

    /* Lowering, raising, errors. */
    CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0, "get NOFILE");
    struct rlimit low = {64, r.rlim_max};
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0 && getrlimit(RLIMIT_NOFILE, &r2) == 0 && r2.rlim_cur == 64 &&
          r2.rlim_max == r.rlim_max, "a lowered soft NOFILE is what get returns");
    struct rlimit old;
    CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_cur == 64, "prlimit64(0) reads it too");
    CHECK(prlimit(getpid(), RLIMIT_NOFILE, &r, &old) == 0 && old.rlim_cur == 64, "prlimit64(own pid) sets it back");
    pid_t c = fork();
    if (c == 0) {
        struct rlimit k;
        _exit(getrlimit(RLIMIT_NOFILE, &k) == 0 && k.rlim_cur == r.rlim_cur ? 0 : 1);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child inherits the limit");
    struct rlimit bad = {10, 5};
    errno = 0;
    CHECK(setrlimit(RLIMIT_NOFILE, &bad) == -1 && errno == EINVAL, "soft above hard: EINVAL");
    errno = 0;
    CHECK(syscall(SYS_getrlimit, 999, &r2) == -1 && errno == EINVAL, "an unknown resource: EINVAL");
    errno = 0;
    CHECK(syscall(SYS_getrlimit, RLIMIT_NOFILE, NULL) == -1 && errno == EFAULT, "getrlimit(NULL): EFAULT");
    errno = 0;
    CHECK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, (void *)8) == -1 && errno == EFAULT, "prlimit64(bad old): EFAULT");
    errno = 0;
    CHECK(prlimit(999999, RLIMIT_NOFILE, NULL, &old) == -1 && errno == ESRCH, "prlimit64(no such pid): ESRCH");
    struct rlimit hard = {64, 64};
    CHECK(setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}) == 0, "RLIMIT_CORE to 0");
    CHECK(setrlimit(RLIMIT_CORE, &hard) == -1 && errno == EPERM, "then raising its hard limit: EPERM");
}

static double uptime(void)
{
    char buf[64] = "";
    int fd = open("/proc/uptime", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    return n > 0 ? strtod(buf, NULL) : -1;
}

static void proc_uptime(void)
{
    struct timespec mono, d = {0, 300000000};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    double a = uptime();
    CHECK(a > 0 && a + 1 >= (double)mono.tv_sec, "/proc/uptime %.2f s, CLOCK_MONOTONIC %ld s", a, (long)mono.tv_sec);
    nanosleep(&d, NULL);
    double b = uptime();
    CHECK(b - a >= 0.25 && b - a < 5, "it counts: %.2f s later after 0.3 s", b - a);
}

static void fionread(void)
{
    int p[2], n = -1;
    char buf[200];
    memset(buf, 'x', sizeof buf);
    CHECK(pipe(p) == 0 && ioctl(p[0], FIONREAD, &n) == 0 && n == 0, "FIONREAD on an empty pipe: 0");
    write(p[1], buf, 123);
    CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 123, "FIONREAD after 123 bytes: %d", n);
    read(p[0], buf, 23);
    CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 100, "after reading 23: %d", n);
    errno = 0;
    CHECK(ioctl(p[0], FIONREAD, (void *)8) == -1 && errno == EFAULT, "FIONREAD to a bad pointer: EFAULT");
    close(p[0]), close(p[1]);

    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0) {
        say("no sockets (%d): FIONREAD on a socket not checked", errno);
        return;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
          getsockname(l, (struct sockaddr *)&a, &len) == 0, "a listener on 127.0.0.1");
    int cl = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(cl, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    int sv = accept(l, NULL, NULL);
    CHECK(sv >= 0 && ioctl(sv, FIONREAD, &n) == 0 && n == 0, "FIONREAD on a fresh connection: 0");
    CHECK(write(cl, buf, 77) == 77, "send 77 bytes");
    for (int i = 0; i < 200 && ioctl(sv, FIONREAD, &n) == 0 && n < 77; i++) {
        struct timespec d = {0, 5000000};
        nanosleep(&d, NULL);
    }
    CHECK(n == 77, "FIONREAD on the socket: %d", n);
    read(sv, buf, 7);
    CHECK(ioctl(sv, FIONREAD, &n) == 0 && n == 70, "after reading 7: %d", n);
    close(cl), close(sv), close(l);
}

static const char child_args[] = "t_limits\0--cmdline-child\0alpha\0beta gamma";

/* After execve: wait until the parent has read our cmdline. */
static int cmdline_child(void)
{
    char buf[256];
    int fd = open("/proc/self/cmdline", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    int same = n == (ssize_t)sizeof child_args && !memcmp(buf, child_args, sizeof child_args);
    write(4, same ? "y" : "n", 1);
    read(3, buf, 1);                        /* EOF when the parent is done */
    return 0;
}

static void cmdline(void)
{
    int go[2], ans[2];
    pipe(go), pipe(ans);
    pid_t c = fork();
    if (c == 0) {
        dup2(go[0], 3), dup2(ans[1], 4);
        char *argv[] = {"t_limits", "--cmdline-child", "alpha", "beta gamma", NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(go[0]), close(ans[1]);
    char self = 0;
    CHECK(read(ans[0], &self, 1) == 1 && self == 'y', "after execve /proc/self/cmdline is the new argv");
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    CHECK(n == (ssize_t)sizeof child_args && !memcmp(buf, child_args, sizeof child_args),
          "the parent reads the child's new argv in %s (%zd bytes)", path, n);
    if (fd >= 0)
        close(fd);
    close(go[1]);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the exec'd child exits 0");
    close(ans[0]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--cmdline-child"))
        return cmdline_child();
    limits();
    proc_uptime();
    fionread();
    cmdline();
    return check_done("t_limits");
}
