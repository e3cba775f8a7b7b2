/*
 * timerfd as a kind of open file.  A description holds its clock, its
 * next expiry as an absolute time on the monotonic clock (0: disarmed)
 * and its interval.  Expirations are counted lazily, from the time, when
 * the file is read, polled or set: nothing runs when a timer expires.  A
 * sleeper in read, poll or epoll wakes on its own deadline (read) or at
 * the libOS's 10 ms poll tick (posix_block), so readiness is seen at most
 * 10 ms late.  A description is shared by dup and fork, as on Linux.
 * Calls: timerfd_create, timerfd_settime (TFD_TIMER_ABSTIME),
 * timerfd_gettime; read (the expirations, 8 bytes), poll and epoll;
 * TFD_NONBLOCK and TFD_CLOEXEC.  Not served: TFD_TIMER_CANCEL_ON_SET
 * (EINVAL) and the alarm clocks (EINVAL, as for an unprivileged caller).
 */
#include "posix.h"

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME  7
#define TFD_TIMER_ABSTIME 1
#define NS 1000000000ul

/* Expirations due by now and not yet read; with commit, take them
 * (moving the next expiry on, or disarming a one-shot timer).  Lock held. */
static uint64_t tfd_due(struct ofd *o, uint64_t now, bool commit)
{
    if (!o->tfd_next || now < o->tfd_next)
        return 0;
    uint64_t n = 1, next = 0;
    if (o->tfd_interval) {
        n += (now - o->tfd_next) / o->tfd_interval;
        next = o->tfd_next + n * o->tfd_interval;
    }
    if (commit) {
        o->tfd_next = next;
        o->ev_count += n;
        o->ev_seq++;
    }
    return n;
}

static bool tfd_ready(void *arg)
{
    struct ofd *o = arg;
    return o->ev_count > 0 || tfd_due(o, vn_clock_ns(), false) > 0;
}

/* read(2): the expirations since the last read or settime, as a u64.
 * Blocks while there are none (EAGAIN when nonblocking).  EINVAL for a
 * buffer under 8 bytes; EINTR for a signal. */
static long tfd_read(struct ofd *o, void *buf, uint64_t n)
{
    if (n < 8)
        return -L_EINVAL;
    for (;;) {
        shm_lock();
        tfd_due(o, vn_clock_ns(), true);
        uint64_t v = o->ev_count, next = o->tfd_next;
        o->ev_count = 0;
        shm_unlock();
        if (v) {
            memcpy(buf, &v, 8);
            return 8;
        }
        if (o->flags & L_O_NONBLOCK)
            return -L_EAGAIN;
        long r = posix_block(tfd_ready, o, next ? next : 0);
        if (r < 0 && r != -L_EAGAIN)
            return r;
    }
}

/* Readable once an expiration is due; the event count moves with each
 * expiration, so edge-triggered epoll reports each one. */
static int tfd_poll(struct ofd *o, uint64_t *seq)
{
    uint64_t due = tfd_due(o, vn_clock_ns(), false);
    *seq = o->ev_seq + due;
    return o->ev_count || due ? PL_IN : 0;
}

static void tfd_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000008, 0600, 0);
}

const struct file_ops timerfd_ops = {
    .name = "timerfd",
    .read = tfd_read,
    .poll = tfd_poll,
    .stat = tfd_stat,
};

/* The timerfd open on fd, or NULL. */
static struct ofd *tfd_get(int fd)
{
    struct ofd *o = fd_get(fd);
    return o && o->kind == OFD_TIMERFD ? o : NULL;
}

/* timerfd_create(clockid, flags).  Errors: EINVAL (a clock other than
 * REALTIME, MONOTONIC, BOOTTIME; unknown flags), EMFILE, ENFILE. */
static long sys_timerfd_create(int clk, int flags)
{
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME)
        return -L_EINVAL;
    if (flags & ~(L_O_CLOEXEC | L_O_NONBLOCK))
        return -L_EINVAL;
    shm_lock();
    struct ofd *o = ofd_new(OFD_TIMERFD, L_O_RDWR | (flags & L_O_NONBLOCK));
    long fd = -L_ENFILE;
    if (o) {
        o->tfd_clock = clk;
        o->tfd_next = o->tfd_interval = 0;
        o->ev_count = o->ev_seq = 0;
        fd = fd_install(o, flags & L_O_CLOEXEC ? FD_CLOEXEC_BIT : 0, 0);
        if (fd < 0)
            ofd_put(o);
    }
    shm_unlock();
    return fd;
}

static void ns_to_ts(uint64_t ns, uint64_t *ts)
{
    ts[0] = ns / NS;
    ts[1] = ns % NS;
}

/* The current setting as an itimerspec: time left and interval.  Lock held. */
static void tfd_current(struct ofd *o, uint64_t *its)
{
    uint64_t now = vn_clock_ns();
    tfd_due(o, now, true);
    ns_to_ts(o->tfd_interval, its);
    ns_to_ts(o->tfd_next ? (o->tfd_next > now ? o->tfd_next - now : 1) : 0, its + 2);
}

/* timerfd_settime(fd, flags, new, old): arm (it_value nonzero: relative,
 * or absolute on the timer's clock with TFD_TIMER_ABSTIME) or disarm;
 * pending expirations are dropped.  Errors: EBADF, EINVAL (not a
 * timerfd, unknown flags, a nanosecond field outside [0, 1e9), a
 * negative second), EFAULT. */
static long sys_timerfd_settime(int fd, int flags, const uint64_t *nv, uint64_t *old)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if (o->kind != OFD_TIMERFD || (flags & ~TFD_TIMER_ABSTIME))
        return -L_EINVAL;
    if (!mm_user_ok(nv, 32, false) || (old && !mm_user_ok(old, 32, true)))
        return -L_EFAULT;
    uint64_t v[4];
    memcpy(v, nv, sizeof v);
    for (int i = 0; i < 4; i += 2)
        if ((int64_t)v[i] < 0 || v[i + 1] >= NS)
            return -L_EINVAL;
    uint64_t cap = 10000000000ul;                   /* ~317 years of seconds: no overflow in ns */
    uint64_t interval = (v[0] > cap ? cap : v[0]) * NS + v[1];
    uint64_t value = (v[2] > cap ? cap : v[2]) * NS + v[3];
    shm_lock();
    if (old)
        tfd_current(o, old);
    uint64_t now = vn_clock_ns(), next = 0;
    if (value) {
        if (flags & TFD_TIMER_ABSTIME) {
            uint64_t clock_now = o->tfd_clock == CLOCK_REALTIME ? posix_realtime_ns() : now;
            next = value > clock_now ? now + (value - clock_now) : now;
        } else {
            next = now + value;
        }
        if (!next)
            next = 1;
    }
    o->tfd_next = next;
    o->tfd_interval = value ? interval : 0;
    o->ev_count = 0;
    o->ev_seq++;
    shm_event();
    shm_unlock();
    return 0;
}

/* timerfd_gettime(fd, cur).  Errors: EBADF, EINVAL (not a timerfd), EFAULT. */
static long sys_timerfd_gettime(int fd, uint64_t *cur)
{
    if (!fd_get(fd))
        return -L_EBADF;
    struct ofd *o = tfd_get(fd);
    if (!o)
        return -L_EINVAL;
    if (!mm_user_ok(cur, 32, true))
        return -L_EFAULT;
    shm_lock();
    tfd_current(o, cur);
    shm_unlock();
    return 0;
}

long timerfd_syscall(struct vn_xframe *x)
{
    switch (x->rax) {
    case 283: return sys_timerfd_create((int)x->rdi, (int)x->rsi);
    case 286: return sys_timerfd_settime((int)x->rdi, (int)x->rsi, (const uint64_t *)x->rdx, (uint64_t *)x->r10);
    default: return sys_timerfd_gettime((int)x->rdi, (uint64_t *)x->rsi);     /* 287 */
    }
}
