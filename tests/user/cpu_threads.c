/*
 * User-level threads on scheduler activations: threads that never yield
 * are switched preemptively by the libOS when the kernel ends the slice;
 * a mutex held across preemptions keeps a counter exact; condition
 * variables drive a bounded producer/consumer queue without losing or
 * duplicating an item.
 */
#include <uthread.h>
#include "check.h"

static volatile uint64_t spins[3];
static volatile int stop;

static void *spinner(void *arg)
{
    uint64_t i = (uint64_t)arg;
    while (!stop)
        spins[i]++;
    return (void *)(i + 100);
}

static struct vn_mutex mu = VN_MUTEX_INIT;
static uint64_t counter;

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        vn_mutex_lock(&mu);
        uint64_t v = counter;
        for (volatile int d = 0; d < 20; d++)   /* widen the window for preemption */
            ;
        counter = v + 1;
        vn_mutex_unlock(&mu);
    }
    return NULL;
}

#define QSIZE 4
#define ITEMS 3000
static struct vn_mutex qm = VN_MUTEX_INIT;
static struct vn_cond not_full = VN_COND_INIT, not_empty = VN_COND_INIT;
static uint64_t queue[QSIZE], head, tail, consumed_sum, consumed_n;

static void *producer(void *arg)
{
    uint64_t base = (uint64_t)arg;
    for (uint64_t i = 1; i <= ITEMS; i++) {
        vn_mutex_lock(&qm);
        while (tail - head == QSIZE)
            vn_cond_wait(&not_full, &qm);
        queue[tail++ % QSIZE] = base + i;
        vn_cond_signal(&not_empty);
        vn_mutex_unlock(&qm);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        vn_mutex_lock(&qm);
        while (tail == head && consumed_n < 2 * ITEMS)
            vn_cond_wait(&not_empty, &qm);
        if (consumed_n == 2 * ITEMS) {
            vn_cond_broadcast(&not_empty);
            vn_mutex_unlock(&qm);
            return NULL;
        }
        consumed_sum += queue[head++ % QSIZE];
        consumed_n++;
        vn_cond_signal(&not_full);
        if (consumed_n == 2 * ITEMS)
            vn_cond_broadcast(&not_empty);
        vn_mutex_unlock(&qm);
    }
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    CHECK_EQ(vn_threads_init(), 0);

    /* Preemptive round robin among threads that never yield. */
    vn_thread_t *t[4];
    for (uint64_t i = 0; i < 3; i++)
        CHECK((t[i] = vn_thread_create(spinner, (void *)i)) != NULL);
    uint64_t until = vn_clock_ns() + 300000000;
    while (vn_clock_ns() < until && !(spins[0] && spins[1] && spins[2]))
        ;
    stop = 1;
    for (uint64_t i = 0; i < 3; i++)
        CHECK(vn_thread_join(t[i]) == (void *)(i + 100));
    printf("cpu_threads: spinners %lu %lu %lu, %lu preemptive switches\n", spins[0], spins[1], spins[2],
           vn_thread_preemptions());
    CHECK(spins[0] && spins[1] && spins[2]);
    CHECK(vn_thread_preemptions() > 0);

    /* Mutex under preemption. */
    for (int i = 0; i < 4; i++)
        t[i] = vn_thread_create(adder, NULL);
    for (int i = 0; i < 4; i++)
        vn_thread_join(t[i]);
    printf("cpu_threads: counter %lu (want 80000), %lu preemptive switches so far\n", counter,
           vn_thread_preemptions());
    CHECK(counter == 80000);

    /* Condition variables: 2 producers, 2 consumers, a queue of 4. */
    t[0] = vn_thread_create(producer, (void *)0);
    t[1] = vn_thread_create(producer, (void *)1000000);
    t[2] = vn_thread_create(consumer, NULL);
    t[3] = vn_thread_create(consumer, NULL);
    for (int i = 0; i < 4; i++)
        vn_thread_join(t[i]);
    uint64_t want = 2 * (uint64_t)ITEMS * (ITEMS + 1) / 2 + 1000000ul * ITEMS;
    printf("cpu_threads: consumed %lu items, sum %lu (want %lu)\n", consumed_n, consumed_sum, want);
    CHECK(consumed_n == 2 * ITEMS && consumed_sum == want);
    return check_done("cpu_threads");
}
