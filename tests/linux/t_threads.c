/* t_threads: POSIX threads as musl's pthreads use them (clone with
 * CLONE_THREAD, futex, set_tid_address, tgkill, exit vs exit_group).
 * Passes natively on Linux; under Veneer's POSIX libOS each thread is a
 * vCPU environment, so two CPUs run them at once.
 *
 *   - 100 threads created and joined, each returning its own index;
 *   - producer/consumer over a bounded queue (mutex + two condition
 *     variables), 2 producers and 2 consumers, every item seen exactly once;
 *   - a thread pool: 4 workers draining 200 tasks from a shared queue;
 *   - futex: EAGAIN on a value mismatch, ETIMEDOUT after a relative
 *     (WAIT) and an absolute (WAIT_BITSET) timeout, WAKE of a sleeper,
 *     CMP_REQUEUE's value check;
 *   - gettid distinct per thread; sched_getaffinity; sched_yield;
 *   - tgkill to one thread: only that thread's handler runs;
 *   - one thread exits (pthread_exit) while others keep running;
 *   - exit_group from a thread ends the whole process (in a child);
 *   - fork while another thread runs: the child has only the caller;
 *   - getpid, gettid and getppid (served without the libOS's lock) from
 *     two threads at once while the main thread maps and unmaps memory:
 *     every answer right;
 *   - a process-shared mutex and condition variable, and a raw futex
 *     without FUTEX_PRIVATE_FLAG, between a parent and its child in
 *     MAP_SHARED memory. */
#define _GNU_SOURCE
#include "check.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* From <linux/futex.h> (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffff

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts, volatile int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* --- 100 threads ---------------------------------------------------- */
static void *ret_index(void *arg) { return arg; }

static void test_create_join(void)
{
    pthread_t t[100];
    int created = 0, joined_ok = 0;
    for (intptr_t i = 0; i < 100; i++)
        created += pthread_create(&t[i], NULL, ret_index, (void *)i) == 0;
    for (intptr_t i = 0; i < created; i++) {
        void *r = NULL;
        joined_ok += pthread_join(t[i], &r) == 0 && r == (void *)i;
    }
    CHECK(created == 100, "pthread_create 100 threads (%d)", created);
    CHECK(joined_ok == 100, "pthread_join returns each thread's own value (%d)", joined_ok);
}

/* --- producer/consumer ---------------------------------------------- */
#define ITEMS 2000
#define QCAP 8
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER, q_nonfull = PTHREAD_COND_INITIALIZER;
static int q_buf[QCAP], q_head, q_len, q_done;
static unsigned char seen[ITEMS];
static int consumed[2];
static pid_t consumer_tid[2];

static void *producer(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = base; i < ITEMS; i += 2) {
        pthread_mutex_lock(&q_mu);
        while (q_len == QCAP)
            pthread_cond_wait(&q_nonfull, &q_mu);
        q_buf[(q_head + q_len++) % QCAP] = i;
        pthread_cond_signal(&q_nonempty);
        pthread_mutex_unlock(&q_mu);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    int me = (int)(intptr_t)arg;
    consumer_tid[me] = gettid_();
    for (;;) {
        pthread_mutex_lock(&q_mu);
        while (q_len == 0 && !q_done)
            pthread_cond_wait(&q_nonempty, &q_mu);
        if (q_len == 0 && q_done) {
            pthread_mutex_unlock(&q_mu);
            return NULL;
        }
        int v = q_buf[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        pthread_cond_signal(&q_nonfull);
        pthread_mutex_unlock(&q_mu);
        if (v >= 0 && v < ITEMS)
            __atomic_add_fetch(&seen[v], 1, __ATOMIC_RELAXED);
        consumed[me]++;
    }
}

static void test_producer_consumer(void)
{
    pthread_t p[2], c[2];
    for (intptr_t i = 0; i < 2; i++) {
        pthread_create(&c[i], NULL, consumer, (void *)i);
        pthread_create(&p[i], NULL, producer, (void *)i);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    pthread_mutex_lock(&q_mu);
    q_done = 1;
    pthread_cond_broadcast(&q_nonempty);
    pthread_mutex_unlock(&q_mu);
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    int once = 0;
    for (int i = 0; i < ITEMS; i++)
        once += seen[i] == 1;
    CHECK(once == ITEMS, "producer/consumer: every one of %d items consumed exactly once (%d)", ITEMS, once);
    CHECK(consumed[0] + consumed[1] == ITEMS, "consumers took %d + %d items", consumed[0], consumed[1]);
    CHECK(consumer_tid[0] != consumer_tid[1] && consumer_tid[0] != getpid() && consumer_tid[0] > 0,
          "gettid differs per thread and from the pid");
}

/* --- thread pool ----------------------------------------------------- */
#define TASKS 200
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER, pool_idle = PTHREAD_COND_INITIALIZER;
static int pool_next, pool_queued, pool_finished, pool_stop;
static long task_result[TASKS];

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        while (pool_next == pool_queued && !pool_stop)
            pthread_cond_wait(&pool_cv, &pool_mu);
        if (pool_next == pool_queued && pool_stop)
            break;
        int task = pool_next++;
        pthread_mutex_unlock(&pool_mu);
        long s = 0;
        for (int k = 1; k <= task; k++)
            s += k;
        task_result[task] = s;
        pthread_mutex_lock(&pool_mu);
        if (++pool_finished == TASKS)
            pthread_cond_signal(&pool_idle);
    }
    pthread_mutex_unlock(&pool_mu);
    return NULL;
}

static void test_pool(void)
{
    pthread_t w[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, worker, NULL);
    for (int t = 0; t < TASKS; t++) {
        pthread_mutex_lock(&pool_mu);
        pool_queued++;
        pthread_cond_signal(&pool_cv);
        pthread_mutex_unlock(&pool_mu);
    }
    pthread_mutex_lock(&pool_mu);
    while (pool_finished < TASKS)
        pthread_cond_wait(&pool_idle, &pool_mu);
    pool_stop = 1;
    pthread_cond_broadcast(&pool_cv);
    pthread_mutex_unlock(&pool_mu);
    for (int i = 0; i < 4; i++)
        pthread_join(w[i], NULL);
    int right = 0;
    for (int t = 0; t < TASKS; t++)
        right += task_result[t] == (long)t * (t + 1) / 2;
    CHECK(right == TASKS, "thread pool: %d of %d tasks computed right", right, TASKS);
}

/* --- futex directly --------------------------------------------------- */
static volatile int fword;

static void *waker(void *arg)
{
    (void)arg;
    struct timespec d = {0, 50 * 1000000};
    nanosleep(&d, NULL);
    __atomic_store_n(&fword, 1, __ATOMIC_RELEASE);
    futex(&fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

static long ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void test_futex(void)
{
    fword = 5;
    errno = 0;
    CHECK(futex(&fword, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0) == -1 && errno == EAGAIN, "FUTEX_WAIT on a different value: EAGAIN");
    struct timespec t0, rel = {0, 100 * 1000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    long r = futex(&fword, FUTEX_WAIT, 5, &rel, NULL, 0);
    long ms = ms_since(&t0);
    CHECK(r == -1 && errno == ETIMEDOUT && ms >= 90 && ms < 5000, "FUTEX_WAIT relative 100 ms timeout: ETIMEDOUT after %ld ms", ms);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    abs.tv_nsec += 100 * 1000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    errno = 0;
    r = futex(&fword, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
    ms = ms_since(&t0);
    CHECK(r == -1 && errno == ETIMEDOUT && ms >= 90 && ms < 5000, "FUTEX_WAIT_BITSET absolute timeout: ETIMEDOUT after %ld ms", ms);
    errno = 0;
    CHECK(futex(&fword, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0) == -1 && errno == EINVAL, "FUTEX_WAIT_BITSET with bitset 0: EINVAL");
    fword = 0;
    pthread_t w;
    pthread_create(&w, NULL, waker, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct timespec big = {10, 0};
    r = 0;
    while (__atomic_load_n(&fword, __ATOMIC_ACQUIRE) == 0 && r == 0)
        r = futex(&fword, FUTEX_WAIT_PRIVATE, 0, &big, NULL, 0);
    ms = ms_since(&t0);
    pthread_join(w, NULL);
    CHECK(fword == 1 && ms < 5000, "FUTEX_WAKE from another thread ends a wait (%ld ms)", ms);
    volatile int other = 0;
    errno = 0;
    CHECK(futex(&fword, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 7) == -1 && errno == EAGAIN,
          "FUTEX_CMP_REQUEUE with a stale value: EAGAIN");
    CHECK(futex(&fword, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 1) == 0, "FUTEX_CMP_REQUEUE with nobody waiting: 0");
    CHECK(futex(&fword, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 0, "FUTEX_WAKE with nobody waiting: 0");
    errno = 0;
    CHECK(futex((volatile int *)((char *)&fword + 1), FUTEX_WAKE, 1, NULL, NULL, 0) == -1 && errno == EINVAL, "futex on an unaligned word: EINVAL");
    /* Hostile words: unmapped, the kernel half, the libOS's text on Veneer (unmapped on Linux). */
    static const uintptr_t bad[] = {0x1000, 0xffff800000000000ul, 0x7d0000001000ul};
    int efault = 0;
    for (int i = 0; i < 3; i++) {
        errno = 0;
        efault += futex((volatile int *)bad[i], FUTEX_WAIT, 0, NULL, NULL, 0) == -1 && errno == EFAULT;
    }
    CHECK(efault == 3, "FUTEX_WAIT on unmapped, kernel and libOS words: EFAULT (%d of 3)", efault);
    errno = 0;
    CHECK(futex(&fword, FUTEX_WAIT, 1, (const struct timespec *)0x1000, NULL, 0) == -1 && errno == EFAULT,
          "FUTEX_WAIT with an unmapped timeout: EFAULT");
    struct timespec neg = {0, -1};
    errno = 0;
    CHECK(futex(&fword, FUTEX_WAIT, 1, &neg, NULL, 0) == -1 && errno == EINVAL, "FUTEX_WAIT with a bad timeout: EINVAL");
    errno = 0;
    CHECK(syscall(SYS_clone, 0x10000 | 0x100, 0, NULL, NULL, 0) == -1 && errno == EINVAL,
          "clone with CLONE_THREAD but without CLONE_SIGHAND: EINVAL");
}

/* --- tgkill ------------------------------------------------------------ */
static volatile pid_t hit_tid;
static volatile int hits, t_stop;
static volatile pid_t target_tid;

static void on_usr1(int sig)
{
    (void)sig;
    hit_tid = gettid_();
    hits++;
}

static void *spinner(void *arg)
{
    (void)arg;
    target_tid = gettid_();
    while (!t_stop)
        sched_yield();
    return NULL;
}

static void test_tgkill(void)
{
    signal(SIGUSR1, on_usr1);
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    while (!target_tid)
        sched_yield();
    CHECK(syscall(SYS_tgkill, getpid(), target_tid, SIGUSR1) == 0, "tgkill to one thread");
    for (int i = 0; i < 2000000 && !hits; i++)
        sched_yield();
    t_stop = 1;
    pthread_join(t, NULL);
    CHECK(hits == 1 && hit_tid == target_tid, "the handler ran once, in the target thread (%d hits, tid %d vs %d)",
          hits, (int)hit_tid, (int)target_tid);
    errno = 0;
    CHECK(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1) == -1 && errno == ESRCH, "tgkill to no such thread: ESRCH");
    signal(SIGUSR1, SIG_DFL);
}

/* --- one thread exits, others run ---------------------------------------- */
static volatile int runner_count, runner_stop;

static void *quitter(void *arg)
{
    (void)arg;
    pthread_exit((void *)42);
}

static void *runner(void *arg)
{
    (void)arg;
    while (!runner_stop)
        __atomic_add_fetch(&runner_count, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void test_thread_exit(void)
{
    pthread_t r, q;
    pthread_create(&r, NULL, runner, NULL);
    pthread_create(&q, NULL, quitter, NULL);
    void *v = NULL;
    pthread_join(q, &v);
    int before = runner_count;
    struct timespec d = {0, 20 * 1000000};
    nanosleep(&d, NULL);
    int after = runner_count;
    runner_stop = 1;
    pthread_join(r, NULL);
    CHECK(v == (void *)42, "pthread_exit's value reaches the joiner");
    CHECK(after > before, "another thread keeps running after one exits (%d -> %d)", before, after);
}

/* --- exit_group from a thread ------------------------------------------- */
static void *group_exiter(void *arg)
{
    (void)arg;
    exit(7);
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void test_exit_group(void)
{
    pid_t c = fork();
    if (c == 0) {
        pthread_t s, e;
        pthread_create(&s, NULL, sleeper, NULL);
        pthread_create(&e, NULL, group_exiter, NULL);
        for (;;)
            pause();
    }
    int st = 0;
    CHECK(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7,
          "exit from a thread ends every thread of the process: status 7 (%#x)", st);
}

/* --- fork from a threaded process --------------------------------------- */
static volatile int fork_spin_stop, fork_spins;

static void *fork_spinner(void *arg)
{
    (void)arg;
    while (!fork_spin_stop)
        __atomic_add_fetch(&fork_spins, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void test_fork_threaded(void)
{
    pthread_t t;
    pthread_create(&t, NULL, fork_spinner, NULL);
    while (!fork_spins)
        sched_yield();
    pid_t c = fork();
    if (c == 0) {
        /* Only the forking thread lives on: the spinner's counter stands still. */
        int a = fork_spins;
        struct timespec d = {0, 20 * 1000000};
        nanosleep(&d, NULL);
        int still = fork_spins == a;
        pthread_t u;
        void *r = NULL;
        int again = pthread_create(&u, NULL, ret_index, (void *)5) == 0 && pthread_join(u, &r) == 0 && r == (void *)5;
        _exit(still && again ? 3 : 4);
    }
    int st = 0;
    pid_t w = waitpid(c, &st, 0);
    fork_spin_stop = 1;
    pthread_join(t, NULL);
    CHECK(c > 0 && w == c && WIFEXITED(st) && WEXITSTATUS(st) == 3,
          "fork from a threaded process: only the caller runs in the child, which can make threads (%#x)", st);
}

static volatile int ids_wrong, ids_go;
static pid_t ids_pid, ids_ppid;

static void *id_reader(void *arg)
{
    (void)arg;
    pid_t tid = gettid_();
    while (!ids_go)
        ;
    for (int i = 0; i < 20000; i++)
        if (syscall(SYS_getpid) != ids_pid || syscall(SYS_gettid) != tid || syscall(SYS_getppid) != ids_ppid)
            __atomic_add_fetch(&ids_wrong, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void test_ids_unlocked(void)
{
    ids_pid = getpid();
    ids_ppid = getppid();
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, id_reader, NULL);
    ids_go = 1;
    int maps = 0;
    for (int i = 0; i < 300; i++) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            *(volatile char *)p = 1;
            maps += munmap(p, 4096) == 0;
        }
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(ids_wrong == 0 && maps == 300, "getpid/gettid/getppid from two threads during mmap: %d wrong, %d maps",
          ids_wrong, maps);
}

/* --- futexes shared between processes ----------------------------------- */
struct pshared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready, go;
    uint32_t word;
};

static void test_process_shared(void)
{
    struct pshared *ps = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&ps->mu, &ma);
    pthread_cond_init(&ps->cv, &ca);
    pid_t c = fork();
    if (c == 0) {
        alarm(20);                          /* a lost wake fails, never hangs */
        pthread_mutex_lock(&ps->mu);
        ps->ready = 1;
        pthread_cond_broadcast(&ps->cv);
        while (!ps->go)
            pthread_cond_wait(&ps->cv, &ps->mu);
        pthread_mutex_unlock(&ps->mu);
        /* A raw shared futex: sleep until the parent changes the word. */
        while (__atomic_load_n(&ps->word, __ATOMIC_ACQUIRE) == 0)
            syscall(SYS_futex, &ps->word, FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(ps->word == 7 ? 0 : 3);
    }
    pthread_mutex_lock(&ps->mu);
    while (!ps->ready)
        pthread_cond_wait(&ps->cv, &ps->mu);
    ps->go = 1;
    pthread_cond_signal(&ps->cv);
    pthread_mutex_unlock(&ps->mu);
    struct timespec d = {0, 30 * 1000000};
    nanosleep(&d, NULL);                    /* let the child sleep on the word */
    __atomic_store_n(&ps->word, 7, __ATOMIC_RELEASE);
    syscall(SYS_futex, &ps->word, FUTEX_WAKE, 1, NULL, NULL, 0);
    int st = 0;
    pid_t w = waitpid(c, &st, 0);
    CHECK(w == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "a process-shared mutex, condition variable and futex between a parent and its child (%#x)", st);
    munmap(ps, 4096);
}

int main(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1, "sched_getaffinity: %d CPUs", CPU_COUNT(&set));
    say("cpus %d", CPU_COUNT(&set));
    CHECK(sched_yield() == 0, "sched_yield");
    CHECK(syscall(SYS_gettid) == getpid(), "the main thread's tid is the pid");
    test_create_join();
    test_producer_consumer();
    test_pool();
    test_futex();
    test_tgkill();
    test_thread_exit();
    test_exit_group();
    test_fork_threaded();
    test_ids_unlocked();
    test_process_shared();
    return check_done("t_threads");
}
