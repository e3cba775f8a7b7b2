/*
 * Waiting for descriptors: poll, ppoll, select and pselect6.  A scan asks
 * each descriptor's kind for its events (ofd_poll) under the arena lock;
 * a wait that finds nothing sleeps on the arena's epoch (posix_block)
 * until a timeout or a signal.
 */
#include "linux_calls.h"

struct poll_req {
    int16_t *pfd;               /* struct pollfd: int fd; short events, revents */
    uint64_t n;
    long ready;
};

int ofd_poll(struct ofd *o, uint64_t *seq)
{
    const struct file_ops *ops = file_ops_of(o);
    *seq = 0;
    return ops->poll ? ops->poll(o, seq) : PL_IN | PL_OUT;
}

static bool poll_scan(void *arg)
{
    struct poll_req *q = arg;
    q->ready = 0;
    for (uint64_t i = 0; i < q->n; i++) {
        int16_t *p = q->pfd + 4 * i;
        int fd = *(int32_t *)p;
        p[3] = 0;
        if (fd < 0)
            continue;
        struct ofd *o = fd_get(fd);
        uint64_t seq;
        int rev = o ? ofd_poll(o, &seq) & (p[2] | 8 | 16) : 32;  /* POLLNVAL */
        p[3] = (int16_t)rev;
        if (rev)
            q->ready++;
    }
    return q->ready > 0;
}

static long do_poll(void *fds, uint64_t n, int64_t timeout_ms)
{
    if (n > MAX_FDS)
        return -L_EINVAL;
    if (!mm_user_ok(fds, n * 8, true))
        return -L_EFAULT;
    struct poll_req q = {fds, n, 0};
    uint64_t deadline = timeout_ms < 0 ? 0 : vn_clock_ns() + (uint64_t)timeout_ms * 1000000 + 1;
    if (timeout_ms == 0) {
        shm_lock();
        poll_scan(&q);
        shm_unlock();
        return q.ready;
    }
    long r = posix_block(poll_scan, &q, deadline);
    return r == -L_EAGAIN ? 0 : r < 0 ? r : q.ready;
}

struct select_req {
    int n;
    uint64_t *in[3];            /* read, write, except sets (copies) */
    uint64_t out[3][MAX_FDS / 64];
    long ready;
};

static bool select_scan(void *arg)
{
    struct select_req *q = arg;
    q->ready = 0;
    memset(q->out, 0, sizeof(q->out));
    for (int fd = 0; fd < q->n; fd++) {
        for (int k = 0; k < 3; k++) {
            if (!q->in[k] || !(q->in[k][fd / 64] & (1ul << (fd % 64))))
                continue;
            struct ofd *o = fd_get(fd);
            uint64_t seq;
            int ev = o ? ofd_poll(o, &seq) : 0;
            bool hit = k == 0 ? (ev & (1 | 16 | 8)) : k == 1 ? (ev & (4 | 8)) : false;
            if (hit) {
                q->out[k][fd / 64] |= 1ul << (fd % 64);
                q->ready++;
            }
        }
    }
    return q->ready > 0;
}

static long do_select(int n, uint64_t *r, uint64_t *w, uint64_t *e, int64_t timeout_ns)
{
    if (n < 0 || n > MAX_FDS)
        return -L_EINVAL;
    uint64_t bytes = ((uint64_t)n + 63) / 64 * 8;
    struct select_req q = {.n = n, .in = {r, w, e}};
    for (int k = 0; k < 3; k++) {
        if (q.in[k] && !mm_user_ok(q.in[k], bytes, true))
            return -L_EFAULT;
        for (int fd = 0; q.in[k] && fd < n; fd++)
            if ((q.in[k][fd / 64] & (1ul << (fd % 64))) && !fd_get(fd))
                return -L_EBADF;
    }
    long res;
    if (timeout_ns == 0) {
        shm_lock();
        select_scan(&q);
        shm_unlock();
        res = q.ready;
    } else {
        res = posix_block(select_scan, &q, timeout_ns < 0 ? 0 : vn_clock_ns() + (uint64_t)timeout_ns);
        res = res == -L_EAGAIN ? 0 : res < 0 ? res : q.ready;
    }
    if (res >= 0)
        for (int k = 0; k < 3; k++)
            if (q.in[k])
                memcpy(q.in[k], q.out[k], bytes);
    return res;
}

long lx_poll(struct vn_xframe *x)
{
    LX_ARGS(x);
    return do_poll((void *)a, b, (int)c);
}

/* select, pselect6: the timeout is in r8 */
long lx_select(struct vn_xframe *x)
{
    LX_ARGS(x);
    int64_t t = -1;
    if (e) {
        if (!mm_user_ok((void *)e, 16, false))
            return -L_EFAULT;
        const uint64_t *tv = (const uint64_t *)e;
        uint64_t sec = tv[0] > 100000000ul ? 100000000ul : tv[0], sub = tv[1] % 1000000000ul;
        t = (int64_t)(sec * 1000000000ul + sub * (x->rax == 23 ? 1000 : 1));
    }
    const uint64_t *mask = NULL;        /* pselect6: r9 -> {sigset pointer, size} */
    if (x->rax == 270 && x->r9) {
        if (!mm_user_ok((void *)x->r9, 16, false))
            return -L_EFAULT;
        mask = (const uint64_t *)((const uint64_t *)x->r9)[0];
        if (mask && !mm_user_ok(mask, 8, false))
            return -L_EFAULT;
    }
    if (mask)
        sig_suspend_begin(*mask);
    long r = do_select((int)a, (uint64_t *)b, (uint64_t *)c, (uint64_t *)d, t);
    if (mask)
        sig_suspend_end();
    return r;
}

/* ppoll: (fds, n, timeout, sigmask) */
long lx_ppoll(struct vn_xframe *x)
{
    LX_ARGS(x);
    int64_t t = -1;
    if (c) {
        if (!mm_user_ok((void *)c, 16, false))
            return -L_EFAULT;
        uint64_t sec = ((uint64_t *)c)[0] > 100000000ul ? 100000000ul : ((uint64_t *)c)[0];
        t = (int64_t)(sec * 1000 + ((uint64_t *)c)[1] % 1000000000ul / 1000000);
    }
    if (d && !mm_user_ok((void *)d, 8, false))
        return -L_EFAULT;
    if (d)
        sig_suspend_begin(*(const uint64_t *)d);
    long r = do_poll((void *)a, b, t);
    if (d)
        sig_suspend_end();
    return r;
}
