/*
 * futex(2) for the threads of one process (thread.c).
 *
 * Every thread waits on at most one futex word, so the wait queue is the
 * thread table itself: a waiter records the word's address, its bitset
 * and an order number, and sleeps in env_wait on its own `woken` word.
 * A wake sets that word and calls env_wake_word, so the sleeper runs at
 * once.  Waits and wakes are served under the process's libOS lock
 * (thread.c), which a waiter drops only after it queued itself: no wake
 * is lost between the value check and the sleep.  The sleep is cut into
 * 10 ms rounds to notice signals (EINTR) and a group exit.
 *
 * Words are matched by address in this process.  A call without
 * FUTEX_PRIVATE_FLAG on a word in a shared page goes to futex_shared.c,
 * which matches words by physical address across processes.
 */
#include "posix.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE 128
#define FUTEX_CLOCK_REALTIME 256

static uint64_t order;

int futex_wake_addr(uint64_t addr, int n, uint32_t bitset)
{
    int woken = 0;
    while (woken < n) {
        struct thread *best = NULL;
        for (int i = 0; i < MAX_THREADS; i++) {
            struct thread *t = &threads[i];
            if (t->fwait && t->faddr == addr && (t->fbits & bitset) && (!best || t->forder < best->forder))
                best = t;
        }
        if (!best)
            break;
        best->fwait = false;
        __atomic_store_n(&best->fwoken, 1, __ATOMIC_RELEASE);
        vn_env_wake_word((const uint64_t *)&best->fwoken);
        woken++;
    }
    return woken;
}

static int requeue(uint64_t from, uint64_t to, int n)
{
    int moved = 0;
    for (int i = 0; i < MAX_THREADS && moved < n; i++)
        if (threads[i].fwait && threads[i].faddr == from) {
            threads[i].faddr = to;
            moved++;
        }
    return moved;
}

long futex_sleep(const volatile uint64_t *woken, uint64_t deadline)
{
    for (;;) {
        if (__atomic_load_n(woken, __ATOMIC_ACQUIRE))
            return 0;
        if (sig_pending_now() || thread_group_status >= 0)
            return -L_EINTR;
        uint64_t now = vn_clock_ns(), slice = 10000000;
        if (deadline && now >= deadline)
            return -L_ETIMEDOUT;
        if (deadline && deadline - now < slice)
            slice = deadline - now;
        thread_leave();
        vn_env_wait(slice ? slice : 1, (const uint64_t *)woken, 0, VN_WAIT_NE);
        thread_enter();
    }
}

/* Sleep on uaddr while it holds val, until a wake, the deadline
 * (vn_clock_ns, 0: none) or a signal.  Errors: -L_EAGAIN (value differs),
 * -L_ETIMEDOUT, -L_EINTR. */
static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
    struct thread *t = &threads[thread_cur()];
    if (__atomic_load_n((volatile uint32_t *)uaddr, __ATOMIC_ACQUIRE) != val)
        return -L_EAGAIN;
    t->faddr = uaddr;
    t->fbits = bitset;
    t->forder = ++order;
    t->fwoken = 0;
    t->fwait = true;
    long r = futex_sleep(&t->fwoken, deadline);     /* a wake sets fwoken as it clears fwait */
    t->fwait = false;
    thread_check_group_exit();
    return r;
}

/* A timespec at p as ns (0 with *bad set when p is unreadable or invalid). */
static uint64_t timespec_ns(uint64_t p, bool *bad)
{
    if (!mm_user_ok((void *)p, 16, false)) {
        *bad = true;
        return 0;
    }
    const int64_t *ts = (const int64_t *)p;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) {
        *bad = true;
        return 0;
    }
    uint64_t s = ts[0] > 1000000000 ? 1000000000 : (uint64_t)ts[0];
    return s * 1000000000ul + (uint64_t)ts[1];
}

long futex_syscall(struct vn_xframe *x)
{
    uint64_t uaddr = x->rdi, val = x->rdx, utime = x->r10, uaddr2 = x->r8;
    uint32_t val3 = (uint32_t)x->r9;
    int op = (int)x->rsi & ~(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
    bool realtime = x->rsi & FUTEX_CLOCK_REALTIME, bad = false;
    if ((uaddr & 3) || !mm_user_ok((void *)uaddr, 4, false))
        return (uaddr & 3) ? -L_EINVAL : -L_EFAULT;
    if (realtime && op != FUTEX_WAIT_BITSET && op != FUTEX_WAIT)
        return -L_ENOSYS;
    bool pshared = sfutex_applies(uaddr, (int)x->rsi);
    switch (op) {
    case FUTEX_WAIT: case FUTEX_WAIT_BITSET: {
        uint32_t bits = op == FUTEX_WAIT ? ~0u : val3;
        if (!bits)
            return -L_EINVAL;
        uint64_t deadline = 0;
        if (utime) {
            uint64_t ns = timespec_ns(utime, &bad);
            if (bad)
                return mm_user_ok((void *)utime, 16, false) ? -L_EINVAL : -L_EFAULT;
            if (op == FUTEX_WAIT)       /* relative */
                deadline = vn_clock_ns() + ns;
            else {                      /* absolute, on the chosen clock */
                uint64_t base = realtime ? posix_realtime_ns() : vn_clock_ns();
                deadline = vn_clock_ns() + (ns > base ? ns - base : 0);
                if (ns <= base)
                    deadline = 1;       /* already past */
            }
        }
        return pshared ? sfutex_wait(uaddr, (uint32_t)val, deadline, bits) : futex_wait(uaddr, (uint32_t)val, deadline, bits);
    }
    case FUTEX_WAKE: case FUTEX_WAKE_BITSET: {
        uint32_t bits = op == FUTEX_WAKE ? ~0u : val3;
        if (!bits)
            return -L_EINVAL;
        return pshared ? sfutex_wake(uaddr, (int)val > 0 ? (int)val : 0, bits)
                       : futex_wake_addr(uaddr, (int)val > 0 ? (int)val : 0, bits);
    }
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: {
        if ((uaddr2 & 3) || !mm_user_ok((void *)uaddr2, 4, false))
            return (uaddr2 & 3) ? -L_EINVAL : -L_EFAULT;
        if ((int)val < 0 || (int)utime < 0)
            return -L_EINVAL;
        if (pshared)
            return sfutex_requeue(uaddr, uaddr2, (int)val, (int)utime, op == FUTEX_CMP_REQUEUE, val3);
        if (op == FUTEX_CMP_REQUEUE && __atomic_load_n((volatile uint32_t *)uaddr, __ATOMIC_ACQUIRE) != val3)
            return -L_EAGAIN;
        int w = futex_wake_addr(uaddr, (int)val, ~0u);
        return w + requeue(uaddr, uaddr2, (int)utime);   /* val2 travels in the timeout argument */
    }
    default:
        return -L_ENOSYS;
    }
}
