/*
 * eventfd as a kind of open file: a 64-bit counter in the description
 * (shared by dup and fork).  write adds to it, blocking (or EAGAIN) while
 * the sum would pass 2^64 - 2; read takes the whole count, or 1 with
 * EFD_SEMAPHORE, blocking (or EAGAIN) while it is zero.  Waiters sleep on
 * the arena's epoch; poll and epoll see it through eventfd_poll, whose
 * event count moves with every read and write.
 */
#include "posix.h"

#define EFD_SEMAPHORE 1
#define EFD_MAX       0xfffffffffffffffeul

static bool has_count(void *arg)
{
    struct ofd *o = arg;
    return o->ev_count > 0;
}

struct ev_add {
    struct ofd *o;
    uint64_t v;
};

static bool has_room(void *arg)
{
    struct ev_add *a = arg;
    return EFD_MAX - a->o->ev_count >= a->v;
}

/* EINVAL for a buffer under 8 bytes; EAGAIN when nonblocking and zero. */
static long eventfd_read(struct ofd *o, void *buf, uint64_t n)
{
    if (n < 8)
        return -L_EINVAL;
    for (;;) {
        shm_lock();
        if (o->ev_count > 0) {
            uint64_t v = o->ev_sem ? 1 : o->ev_count;
            o->ev_count -= v;
            o->ev_seq++;
            shm_event();
            shm_unlock();
            memcpy(buf, &v, 8);
            return 8;
        }
        shm_unlock();
        if (o->flags & L_O_NONBLOCK)
            return -L_EAGAIN;
        long r = posix_block(has_count, o, 0);
        if (r < 0)
            return r;
    }
}

/* EINVAL for a buffer under 8 bytes or the value 2^64 - 1; EAGAIN when
 * nonblocking and the counter has no room. */
static long eventfd_write(struct ofd *o, const void *buf, uint64_t n)
{
    struct ev_add a = {o, 0};
    if (n < 8)
        return -L_EINVAL;
    memcpy(&a.v, buf, 8);
    if (a.v == ~0ul)
        return -L_EINVAL;
    for (;;) {
        shm_lock();
        if (has_room(&a)) {
            o->ev_count += a.v;
            o->ev_seq++;
            shm_event();
            shm_unlock();
            return 8;
        }
        shm_unlock();
        if (o->flags & L_O_NONBLOCK)
            return -L_EAGAIN;
        long r = posix_block(has_room, &a, 0);
        if (r < 0)
            return r;
    }
}

static int eventfd_poll(struct ofd *o, uint64_t *seq)
{
    *seq = o->ev_seq;
    return (o->ev_count > 0 ? PL_IN : 0) | (o->ev_count < EFD_MAX ? PL_OUT : 0);
}

/* FIONREAD is not defined for an eventfd on Linux either. */
static void eventfd_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000006, 0600, 0);
}

const struct file_ops eventfd_ops = {
    .name = "eventfd",
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .stat = eventfd_stat,
};

/* eventfd2(initval, flags): EINVAL for unknown flags. */
static long sys_eventfd(uint64_t init, int flags)
{
    if (flags & ~(L_O_CLOEXEC | L_O_NONBLOCK | EFD_SEMAPHORE))
        return -L_EINVAL;
    shm_lock();
    struct ofd *o = ofd_new(OFD_EVENTFD, L_O_RDWR | (flags & L_O_NONBLOCK));
    long fd = -L_ENFILE;
    if (o) {
        o->ev_count = (uint32_t)init;
        o->ev_sem = (flags & EFD_SEMAPHORE) != 0;
        fd = fd_install(o, flags & L_O_CLOEXEC ? FD_CLOEXEC_BIT : 0, 0);
        if (fd < 0)
            ofd_put(o);
    }
    shm_unlock();
    return fd;
}

long eventfd_syscall(struct vn_xframe *x, bool *handled)
{
    *handled = true;
    switch (x->rax) {
    case 284: return sys_eventfd(x->rdi, 0);                    /* eventfd */
    case 290: return sys_eventfd(x->rdi, (int)x->rsi);          /* eventfd2 */
    default:
        *handled = false;
        return 0;
    }
}
