/*
 * Futexes shared between processes: a futex call without
 * FUTEX_PRIVATE_FLAG on a word in a shared page (MAP_SHARED memory, kept
 * across fork, or a memory file's own page, fmap.c), as process-shared
 * pthread mutexes and condition variables and named semaphores use them.
 *
 * Such a word is named by its physical address (the page frame from the
 * page-table window, and the offset), the same in every process that
 * maps it.  The waiters are a table in the arena, under the arena lock:
 * a waiter takes a slot (key, bitset, order, pid), then sleeps in
 * env_wait on the slot's `woken` word, which is arena memory every
 * process maps; a wake sets it and calls env_wake_word, which wakes the
 * sleeper in whatever process it is.  The sleep is cut into 10 ms rounds
 * to notice signals and a group exit, as futex.c's.  A process that ends
 * (or is killed) gives its slots back (sfutex_release_pid), so a wake is
 * never spent on a dead waiter.
 */
#include "posix.h"

/* Whether a futex call on uaddr with these op bits goes here. */
bool sfutex_applies(uint64_t uaddr, int rawop)
{
    if (rawop & 128)            /* FUTEX_PRIVATE_FLAG */
        return false;
    int fl = mm_page_flags(uaddr & ~0xffful);
    return fl >= 0 && (fl & (PG_SHARED | PG_ARENA)) && !(fl & PG_NONE) && (vn_pte(uaddr) & 1);
}

static uint64_t key_of(uint64_t uaddr)
{
    return (vn_pte(uaddr) & 0x000ffffffffff000ul) | (uaddr & 0xfff);
}

long sfutex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bits)
{
    shm_lock();
    if (__atomic_load_n((volatile uint32_t *)uaddr, __ATOMIC_ACQUIRE) != val) {
        shm_unlock();
        return -L_EAGAIN;
    }
    struct sfutex_waiter *w = NULL;
    for (int i = 0; i < SFUTEX_MAX && !w; i++)
        if (!shared->sfutex[i].key)
            w = &shared->sfutex[i];
    if (!w) {
        shm_unlock();
        return -L_ENOMEM;       /* (Linux has no such limit; 64 sleepers at once here) */
    }
    *w = (struct sfutex_waiter){.key = key_of(uaddr), .bits = bits, .order = ++shared->sfutex_order, .pid = me.pid};
    shm_unlock();
    long r = futex_sleep(&w->woken, deadline);
    shm_lock();
    if (w->woken)
        r = 0;                  /* a wake that came with the signal or the deadline counts */
    w->key = 0;
    shm_unlock();
    thread_check_group_exit();
    return r;
}

/* Wake up to n waiters on key whose bitset meets bits, oldest first (the
 * arena lock is held). */
static int wake_key(uint64_t key, int n, uint32_t bits)
{
    int woken = 0;
    while (woken < n) {
        struct sfutex_waiter *best = NULL;
        for (int i = 0; i < SFUTEX_MAX; i++) {
            struct sfutex_waiter *w = &shared->sfutex[i];
            if (w->key == key && !w->woken && (w->bits & bits) && (!best || w->order < best->order))
                best = w;
        }
        if (!best)
            break;
        __atomic_store_n(&best->woken, 1, __ATOMIC_RELEASE);
        vn_env_wake_word((const uint64_t *)&best->woken);
        woken++;
    }
    return woken;
}

int sfutex_wake(uint64_t uaddr, int n, uint32_t bits)
{
    shm_lock();
    int r = wake_key(key_of(uaddr), n, bits);
    shm_unlock();
    return r;
}

long sfutex_requeue(uint64_t from, uint64_t to, int nwake, int nmove, bool cmp, uint32_t val3)
{
    if (!(vn_pte(to) & 1))
        return -L_EFAULT;       /* (a key of 0 would free the moved waiters' slots) */
    shm_lock();
    if (cmp && __atomic_load_n((volatile uint32_t *)from, __ATOMIC_ACQUIRE) != val3) {
        shm_unlock();
        return -L_EAGAIN;
    }
    uint64_t kf = key_of(from), kt = key_of(to);
    int r = wake_key(kf, nwake, ~0u);
    for (int i = 0; i < SFUTEX_MAX && nmove > 0; i++) {
        struct sfutex_waiter *w = &shared->sfutex[i];
        if (w->key == kf && !w->woken) {
            w->key = kt;
            nmove--;
            r++;
        }
    }
    shm_unlock();
    return r;
}

void sfutex_release_pid(int pid)
{
    for (int i = 0; i < SFUTEX_MAX; i++)
        if (shared->sfutex[i].key && shared->sfutex[i].pid == pid)
            shared->sfutex[i].key = 0;
}
