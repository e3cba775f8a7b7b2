/* t_filelock: fcntl record locks (F_GETLK, F_SETLK, F_SETLKW) between
 * processes, as SQLite uses them: conflicts between a parent and its
 * child, shared read locks, a process's own locks replaced and split,
 * release by any close and by death (SIGKILL), F_SETLKW waking on the
 * unlock and failing with EINTR on a signal; and the hostile side: bad
 * types, whences and ranges, locks the access mode forbids, bad
 * pointers and descriptors, a full lock table (ENOLCK) that a later
 * unlock empties, 3000 random calls after which locks still work.  The
 * same program passes on Linux. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "check.h"

#define PATH "/tmp/t_filelock"

static int lk(int fd, int cmd, int type, off_t start, off_t len)
{
    struct flock f = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &f);
}

/* The lock another process holds over [start, start+len), by F_GETLK. */
static struct flock probe(int fd, int type, off_t start, off_t len)
{
    struct flock f = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    if (fcntl(fd, F_GETLK, &f) < 0)
        f.l_type = -1;
    return f;
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Run fn(fd) in a child; returns its exit status (the child's checks are
 * counted by its status: 0 all passed). */
static int in_child(int (*fn)(int), int fd)
{
    pid_t p = fork();
    if (p == 0)
        _exit(fn(fd));
    int st = -1;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (st & 0x7f);
}

static pid_t parent;

static int child_conflicts(int fd)
{
    int bad = 0;
    struct flock f = probe(fd, F_WRLCK, 5, 1);
    bad |= !(f.l_type == F_WRLCK && f.l_start == 0 && f.l_len == 10 && f.l_pid == parent);
    bad |= (lk(fd, F_SETLK, F_RDLCK, 5, 1) == 0 || (errno != EAGAIN && errno != EACCES)) << 1;
    bad |= (lk(fd, F_SETLK, F_WRLCK, 10, 10) != 0) << 2;        /* adjacent: free */
    bad |= (probe(fd, F_WRLCK, 20, 0).l_type != F_UNLCK) << 3;
    return bad;
}

static int child_split(int fd)
{
    int bad = 0;
    bad |= probe(fd, F_WRLCK, 0, 3).l_type != F_WRLCK;
    bad |= (probe(fd, F_WRLCK, 3, 2).l_type != F_UNLCK) << 1;
    struct flock f = probe(fd, F_WRLCK, 3, 3);
    bad |= !(f.l_type == F_WRLCK && f.l_start == 5 && f.l_len == 5) << 2;
    return bad;
}

static int child_readers(int fd)
{
    int bad = 0;
    bad |= lk(fd, F_SETLK, F_RDLCK, 50, 10) != 0;
    bad |= (lk(fd, F_SETLK, F_WRLCK, 50, 10) == 0) << 1;
    return bad;
}

static int child_free(int fd)
{
    return lk(fd, F_SETLK, F_WRLCK, 0, 0) != 0;
}

/* F_SETLKW: waits for the parent's unlock (about 300 ms). */
static int child_waits(int fd)
{
    uint64_t t0 = now_ms();
    if (lk(fd, F_SETLKW, F_WRLCK, 0, 1) != 0)
        return 1;
    return now_ms() - t0 < 150 ? 2 : 0;
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* F_SETLKW with the lock held elsewhere: EINTR when SIGALRM comes. */
static int child_interrupted(int fd)
{
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    int r = lk(fd, F_SETLKW, F_WRLCK, 0, 1);
    return r == -1 && errno == EINTR ? 0 : 1;
}

int main(void)
{
    parent = getpid();
    unlink(PATH);
    int fd = open(PATH, O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0, "open %s", PATH);
    CHECK(write(fd, "0123456789abcdefghij", 20) == 20, "write 20 bytes");

    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 10) == 0, "write lock [0,10)");
    CHECK(probe(fd, F_WRLCK, 0, 0).l_type == F_UNLCK, "F_GETLK: our own lock is no conflict");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 10) == 0, "locking again what we hold");
    int r = in_child(child_conflicts, fd);
    CHECK(r == 0, "child: F_GETLK reports our lock and pid, F_SETLK refused, adjacent range free (%d)", r);
    CHECK(probe(fd, F_WRLCK, 10, 10).l_type == F_UNLCK, "the dead child's lock went with it");

    CHECK(lk(fd, F_SETLK, F_UNLCK, 3, 2) == 0, "unlock [3,5) inside our lock");
    r = in_child(child_split, fd);
    CHECK(r == 0, "child: the lock split into [0,3) and [5,10) (%d)", r);

    CHECK(lk(fd, F_SETLK, F_RDLCK, 0, 100) == 0, "our lock becomes a read lock over [0,100)");
    r = in_child(child_readers, fd);
    CHECK(r == 0, "child: a read lock shares, a write lock conflicts (%d)", r);

    int fd2 = open(PATH, O_RDONLY);
    CHECK(fd2 >= 0 && close(fd2) == 0, "open and close another descriptor of the file");
    r = in_child(child_free, fd);
    CHECK(r == 0, "child: closing any descriptor released all our locks (%d)", r);

    /* A holder killed with SIGKILL loses its locks. */
    int go[2];
    CHECK(pipe(go) == 0, "pipe");
    pid_t h = fork();
    if (h == 0) {
        lk(fd, F_SETLK, F_WRLCK, 0, 0);
        if (write(go[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char c;
    CHECK(read(go[0], &c, 1) == 1, "holder child took its lock");
    struct flock f = probe(fd, F_RDLCK, 0, 0);
    CHECK(f.l_type == F_WRLCK && f.l_pid == h, "F_GETLK names the holder (pid %d)", (int)f.l_pid);
    CHECK(lk(fd, F_SETLK, F_RDLCK, 0, 1) == -1 && (errno == EAGAIN || errno == EACCES), "F_SETLK refused");
    kill(h, SIGKILL);
    waitpid(h, NULL, 0);
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0) == 0, "the killed holder's lock is gone");

    /* F_SETLKW wakes on the unlock, and ends with EINTR on a signal. */
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 1) == 0, "write lock byte 0");
    pid_t w = fork();
    if (w == 0)
        _exit(child_waits(fd));
    struct timespec ts = { 0, 300000000 };
    nanosleep(&ts, NULL);
    CHECK(lk(fd, F_SETLK, F_UNLCK, 0, 0) == 0, "unlock after 300 ms");
    int st = -1;
    waitpid(w, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: F_SETLKW waited for the unlock (status %#x)", st);
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 1) == 0, "write lock byte 0 again");
    r = in_child(child_interrupted, fd);
    CHECK(r == 0, "child: F_SETLKW interrupted by SIGALRM: EINTR (%d)", r);

    /* Hostile arguments. */
    CHECK(lk(fd, F_SETLK, 7, 0, 1) == -1 && errno == EINVAL, "bad l_type: EINVAL");
    struct flock bad = { .l_type = F_WRLCK, .l_whence = 5 };
    CHECK(fcntl(fd, F_SETLK, &bad) == -1 && errno == EINVAL, "bad l_whence: EINVAL");
    CHECK(lk(fd, F_SETLK, F_WRLCK, -1, 1) == -1 && errno == EINVAL, "negative start: EINVAL");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 2, -5) == -1 && errno == EINVAL, "negative length past 0: EINVAL");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 5, -5) == 0, "negative length: [0,5)");
    struct flock end = { .l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = -30, .l_len = 1 };
    CHECK(fcntl(fd, F_SETLK, &end) == -1 && errno == EINVAL, "SEEK_END before the start: EINVAL");
    CHECK(fcntl(fd, F_SETLK, (struct flock *)8) == -1 && errno == EFAULT, "unmapped struct flock: EFAULT");
    void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED && fcntl(fd, F_GETLK, ro) == -1 && errno == EFAULT,
          "F_GETLK into read-only memory: EFAULT");
    CHECK(lk(999, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EBADF, "bad descriptor: EBADF");
    int rd = open(PATH, O_RDONLY), wr = open(PATH, O_WRONLY);
    CHECK(lk(rd, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EBADF, "write lock on a read-only descriptor: EBADF");
    CHECK(lk(wr, F_SETLK, F_RDLCK, 0, 1) == -1 && errno == EBADF, "read lock on a write-only descriptor: EBADF");
    close(rd);
    close(wr);                  /* and every lock of ours on the file goes */

    /* Many separate ranges: the libOS's table fills (ENOLCK, nothing
     * changed), Linux's does not; one unlock of the whole file empties it. */
    int got = 0, enolck = 0;
    for (int i = 0; i < 400 && !enolck; i++) {
        if (lk(fd, F_SETLK, i % 2 ? F_RDLCK : F_WRLCK, 2 * i, 1) == 0)
            got++;
        else
            enolck = errno == ENOLCK;
    }
    CHECK(got == 400 || (enolck && got > 16), "400 ranges locked, or ENOLCK after %d", got);
    CHECK(lk(fd, F_SETLK, F_UNLCK, 0, 0) == 0, "unlock the whole file");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 10) == 0 && lk(fd, F_SETLK, F_WRLCK, 100, 10) == 0,
          "locks can be taken again");
    r = in_child(child_split, fd);
    CHECK(r != 0, "child: the old ranges are gone (%d)", r);

    /* 3000 calls with random commands, types, whences, ranges and
     * pointers (one process: F_SETLKW never waits); the locks still work. */
    static const long nums[] = {0, 1, -1, 4096, 0x7fffffff, -0x80000000l, 0x7fffffffffffffffl,
                                -0x7fffffffffffffffl - 1, 1l << 40, 1l << 62};
    static const void *ptrs[] = {(void *)8, (void *)0xffff800000000000ul, (void *)-4096l};
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 3000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        struct flock g = {.l_type = (short)(x % 4), .l_whence = (short)((x >> 2) % 4),
                          .l_start = nums[(x >> 4) % 10], .l_len = nums[(x >> 8) % 10]};
        if ((x >> 12) % 4 == 0)
            g.l_start = (off_t)((x >> 16) % 1000), g.l_len = (off_t)((x >> 24) % 50);
        int cmd = (x >> 32) % 3 == 0 ? F_GETLK : (x >> 32) % 3 == 1 ? F_SETLK : F_SETLKW;
        fcntl(fd, cmd, (x >> 40) % 16 == 0 ? ptrs[(x >> 44) % 3] : (const void *)&g);
    }
    CHECK(lk(fd, F_SETLK, F_UNLCK, 0, 0) == 0 && lk(fd, F_SETLK, F_WRLCK, 0, 10) == 0,
          "after 3000 random calls: unlock all, lock [0,10)");
    r = in_child(child_conflicts, fd);
    CHECK(r == 0, "child: the lock is seen and refused as before (%d)", r);
    close(fd);
    unlink(PATH);
    return check_done("t_filelock");
}
