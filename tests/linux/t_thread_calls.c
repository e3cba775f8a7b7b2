/* t_thread_calls: the calls a program makes from any of its threads, not
 * only the main one.  Passes natively on Linux; under Veneer's POSIX libOS
 * a thread is a vCPU environment sharing its process's capability table.
 *
 *   - malloc in 4 threads at once: blocks of 16 bytes to 1 MiB (the large
 *     ones are mmap'd by musl, the small ones come from brk), filled,
 *     checked and freed, 300 rounds each;
 *   - mmap, mprotect (a write to a read-only page is SIGSEGV on that
 *     thread, then writable again), mremap and munmap from a thread;
 *   - pthread_create and pthread_join from a thread (threads of threads);
 *   - fork from a thread: the child is one thread, sees the parent's
 *     memory as it was, allocates, and exits with a status the forking
 *     thread's waitpid reports;
 *   - execve from a thread: the other threads end and the program
 *     replaced keeps the pid (a child process does it and reports);
 *   - copy-on-write from threads: after a fork, two threads write every
 *     page of a shared buffer at once and each sees its own writes, while
 *     the child sees the old contents;
 *   - files, pipes and sockets from a thread: write and read back a file,
 *     a pipe round trip, a UDP datagram on the loopback. */
#define _GNU_SOURCE
#include "check.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* --- malloc from several threads ----------------------------------------- */
#define ALLOC_THREADS 4
#define ALLOC_ROUNDS 300

static void *allocator(void *arg)
{
    uintptr_t id = (uintptr_t)arg, bad = 0;
    uint32_t seed = (uint32_t)id * 2654435761u + 1;
    void *keep[8] = {0};
    size_t keep_n[8] = {0};
    for (int r = 0; r < ALLOC_ROUNDS; r++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (r % 10 == 0) ? (256u << 10) + (seed % (768u << 10)) : 16 + seed % 4000;
        int k = r % 8;
        if (keep[k]) {
            for (size_t i = 0; i < keep_n[k]; i += 509)
                bad += ((unsigned char *)keep[k])[i] != (unsigned char)(id + i);
            free(keep[k]);
        }
        unsigned char *p = malloc(n);
        if (!p)
            return (void *)(uintptr_t)1000000;
        for (size_t i = 0; i < n; i++)
            p[i] = (unsigned char)(id + i);
        keep[k] = p;
        keep_n[k] = n;
    }
    for (int k = 0; k < 8; k++)
        free(keep[k]);
    return (void *)bad;
}

static void test_malloc_threads(void)
{
    pthread_t t[ALLOC_THREADS];
    uintptr_t bad = 0;
    int made = 0;
    for (int i = 0; i < ALLOC_THREADS; i++)
        made += pthread_create(&t[i], NULL, allocator, (void *)(uintptr_t)(i + 1)) == 0;
    for (int i = 0; i < made; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        bad += (uintptr_t)r;
    }
    CHECK(made == ALLOC_THREADS && bad == 0, "malloc and free in %d threads at once, up to 1 MiB: %d made, %lu bad",
          ALLOC_THREADS, made, (unsigned long)bad);
}

/* --- mmap, mprotect, mremap, munmap from a thread ------------------------ */
static __thread sigjmp_buf segv_jmp;
static volatile int segv_tid;

static void on_segv(int sig)
{
    (void)sig;
    segv_tid = (int)syscall(SYS_gettid);
    siglongjmp(segv_jmp, 1);
}

static void *mapper(void *arg)
{
    (void)arg;
    intptr_t ok = 0;
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return (void *)0;
    memset(p, 7, 3 * 4096);
    ok += mprotect(p + 4096, 4096, PROT_READ) == 0;
    int faulted = 0;
    if (sigsetjmp(segv_jmp, 1) == 0)
        *(volatile char *)(p + 4096) = 1;
    else
        faulted = segv_tid == (int)syscall(SYS_gettid);
    ok += faulted;
    ok += p[4096] == 7;
    ok += mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE) == 0;
    p[4096] = 9;
    char *q = mremap(p, 3 * 4096, 64 * 4096, MREMAP_MAYMOVE);
    ok += q != MAP_FAILED && q[0] == 7 && q[4096] == 9 && q[2 * 4096] == 7;
    if (q != MAP_FAILED) {
        q[63 * 4096] = 5;
        ok += munmap(q, 64 * 4096) == 0;
    }
    return (void *)ok;
}

static void test_mm_thread(void)
{
    struct sigaction sa = {.sa_handler = on_segv}, old;
    sigaction(SIGSEGV, &sa, &old);
    pthread_t t;
    void *r = NULL;
    CHECK(pthread_create(&t, NULL, mapper, NULL) == 0 && pthread_join(t, &r) == 0 && (intptr_t)r == 6,
          "mmap, mprotect (SIGSEGV on that thread), mremap, munmap from a thread: %ld of 6", (long)(intptr_t)r);
    sigaction(SIGSEGV, &old, NULL);
}

/* --- threads of threads --------------------------------------------------- */
static void *leaf(void *arg) { return (void *)((uintptr_t)arg * 3); }

static void *spawner(void *arg)
{
    uintptr_t n = (uintptr_t)arg, sum = 0;
    pthread_t t[4];
    for (uintptr_t i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, leaf, (void *)(i + 1)) != 0)
            return (void *)0;
    for (uintptr_t i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (uintptr_t)r;
    }
    return (void *)sum;
}

static void test_nested_threads(void)
{
    pthread_t t;
    void *r = NULL;
    CHECK(pthread_create(&t, NULL, spawner, (void *)4) == 0 && pthread_join(t, &r) == 0 && (uintptr_t)r == 30,
          "pthread_create and pthread_join from a thread: sum %lu (want 30)", (unsigned long)(uintptr_t)r);
}

/* --- fork from a thread -------------------------------------------------- */
static volatile int before_fork = 11;

static void *forker(void *arg)
{
    (void)arg;
    before_fork = 42;
    pid_t c = fork();
    if (c == 0) {
        char *m = malloc(200000);
        int ok = m != NULL && before_fork == 42 && getpid() != getppid();
        if (m)
            memset(m, 1, 200000);
        free(m);
        _exit(ok ? 21 : 22);
    }
    int st = 0;
    pid_t w = c > 0 ? waitpid(c, &st, 0) : -1;
    return (void *)(intptr_t)(w == c && WIFEXITED(st) ? WEXITSTATUS(st) : -st - 1000);
}

static void test_fork_from_thread(void)
{
    pthread_t t;
    void *r = NULL;
    CHECK(pthread_create(&t, NULL, forker, NULL) == 0 && pthread_join(t, &r) == 0 && (intptr_t)r == 21,
          "fork from a thread: the child runs, allocates and exits 21 (%ld)", (long)(intptr_t)r);
}

/* --- execve from a thread ------------------------------------------------ */
static char self_path[256];

static void *execer(void *arg)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)(intptr_t)arg);
    char *argv[] = {self_path, "exec-child", pid, NULL};
    execve(self_path, argv, NULL);
    _exit(30);      /* execve failed */
}

static void *exec_sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void test_exec_from_thread(void)
{
    pid_t c = fork();
    if (c == 0) {
        pthread_t s, t;
        pthread_create(&s, NULL, exec_sleeper, NULL);
        pthread_create(&t, NULL, execer, (void *)(intptr_t)getpid());
        for (;;)
            pause();
    }
    int st = 0;
    pid_t w = waitpid(c, &st, 0);
    CHECK(w == c && WIFEXITED(st) && WEXITSTATUS(st) == 31,
          "execve from a thread: the new program runs alone, with the pid (status %#x)", st);
}

/* The program execve'd from a thread: one thread, the same pid. */
static int exec_child(const char *pid)
{
    int threads = -1;
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8))
            threads = atoi(line + 8);
    if (f)
        fclose(f);
    int ok = atoi(pid) == getpid() && syscall(SYS_gettid) == getpid() && (threads == 1 || threads == -1);
    return ok ? 31 : 32;
}

/* --- copy-on-write written by two threads at once after a fork ---------- */
#define COW_PAGES 64
static unsigned char *cow_buf;

static void *cow_writer(void *arg)
{
    uintptr_t id = (uintptr_t)arg, bad = 0;
    for (int p = 0; p < COW_PAGES; p++)
        cow_buf[p * 4096 + id] = (unsigned char)(100 + id + p);
    for (int p = 0; p < COW_PAGES; p++)
        bad += cow_buf[p * 4096 + id] != (unsigned char)(100 + id + p);
    return (void *)bad;
}

static void test_cow_threads(void)
{
    cow_buf = mmap(NULL, COW_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(cow_buf, 1, COW_PAGES * 4096);
    int pfd[2];
    pipe(pfd);
    pid_t c = fork();
    if (c == 0) {
        char go;
        close(pfd[1]);
        read(pfd[0], &go, 1);       /* after the parent's threads wrote */
        int old = 1;
        for (int p = 0; p < COW_PAGES; p++)
            old &= cow_buf[p * 4096] == 1 && cow_buf[p * 4096 + 1] == 1 && cow_buf[p * 4096 + 2] == 1;
        _exit(old ? 41 : 42);
    }
    close(pfd[0]);
    pthread_t t[2];
    uintptr_t bad = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, cow_writer, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (uintptr_t)r;
    }
    write(pfd[1], "g", 1);
    close(pfd[1]);
    int st = 0;
    waitpid(c, &st, 0);
    CHECK(bad == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 41,
          "copy-on-write pages written by two threads at once after fork: %lu bad, child saw the old (%#x)",
          (unsigned long)bad, st);
    munmap(cow_buf, COW_PAGES * 4096);
}

/* --- files, pipes and sockets from a thread ------------------------------ */
static void *io_thread(void *arg)
{
    (void)arg;
    intptr_t ok = 0;
    int fd = open("/tmp/t_thread_calls.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    char buf[64] = {0};
    if (fd >= 0) {
        ok += write(fd, "from a thread", 13) == 13;
        ok += pread(fd, buf, sizeof buf, 0) == 13 && !memcmp(buf, "from a thread", 13);
        close(fd);
        unlink("/tmp/t_thread_calls.txt");
    }
    int p[2];
    if (pipe(p) == 0) {
        ok += write(p[1], "pipe", 4) == 4 && read(p[0], buf, 4) == 4 && !memcmp(buf, "pipe", 4);
        close(p[0]);
        close(p[1]);
    }
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (a >= 0 && b >= 0 && bind(a, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(a, (struct sockaddr *)&sa, &sl) == 0 &&
        sendto(b, "udp", 3, 0, (struct sockaddr *)&sa, sizeof sa) == 3) {
        struct timeval tv = {5, 0};
        setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ok += recv(a, buf, sizeof buf, 0) == 3 && !memcmp(buf, "udp", 3);
    }
    if (a >= 0)
        close(a);
    if (b >= 0)
        close(b);
    return (void *)ok;
}

static void test_io_thread(void)
{
    pthread_t t;
    void *r = NULL;
    CHECK(pthread_create(&t, NULL, io_thread, NULL) == 0 && pthread_join(t, &r) == 0 && (intptr_t)r == 4,
          "a file, a pipe and a UDP socket from a thread: %ld of 4", (long)(intptr_t)r);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exec-child"))
        return exec_child(argv[2]);
    snprintf(self_path, sizeof self_path, "%s", argv[0]);
    if (!strchr(self_path, '/')) {
        ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
        self_path[n > 0 ? n : 0] = 0;
    }
    test_malloc_threads();
    test_mm_thread();
    test_nested_threads();
    test_fork_from_thread();
    test_cow_threads();
    test_io_thread();
    test_exec_from_thread();
    return check_done("t_thread_calls");
}
