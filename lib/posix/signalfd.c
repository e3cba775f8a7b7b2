/*
 * signalfd as a kind of open file.  The description holds a signal mask;
 * reading takes the caller's pending signals in that mask (the process's
 * and, with threads, the calling thread's), lowest first, each as a
 * 128-byte signalfd_siginfo.  As on Linux the signals are those of the
 * process that reads, so a signalfd inherited across fork reads the
 * child's own.  A program blocks the signals first (sigprocmask), or
 * they are delivered as usual before it can read them.  Waiters sleep on
 * the arena's epoch, which kill bumps.  Calls: signalfd, signalfd4
 * (SFD_NONBLOCK, SFD_CLOEXEC; a new mask for an existing signalfd);
 * read, poll and epoll.
 */
#include "posix.h"

#define SFD_INFO 128                    /* sizeof(struct signalfd_siginfo) */
#define UNBLOCKABLE (SIGBIT(L_SIGKILL) | SIGBIT(L_SIGSTOP))
#define KILLED_BY(st) (((st) & 0x7f) != 0 && ((st) & 0x7f) != 0x7f)    /* WIFSIGNALED */

/* The caller's pending signals in o's mask. */
static uint64_t sfd_pending(struct ofd *o)
{
    volatile uint64_t *tp = thread_pending();
    uint64_t p = __atomic_load_n(&me.self->sig_pending, __ATOMIC_ACQUIRE) | (tp ? *tp : 0);
    return p & o->sfd_mask;
}

static bool sfd_ready(void *arg)
{
    return sfd_pending(arg) != 0;
}

/* Take one pending signal in o's mask into info; 0 if none. */
static int sfd_take(struct ofd *o, uint8_t *info)
{
    uint64_t p = sfd_pending(o);
    while (p) {
        int sig = __builtin_ctzl(p) + 1;
        uint64_t bit = SIGBIT(sig);
        volatile uint64_t *tp = thread_pending();
        bool got = (tp && (__atomic_fetch_and(tp, ~bit, __ATOMIC_ACQ_REL) & bit)) ||
                   (__atomic_fetch_and(&me.self->sig_pending, ~bit, __ATOMIC_ACQ_REL) & bit);
        if (got) {
            memset(info, 0, SFD_INFO);
            uint32_t w[4] = {(uint32_t)sig, 0, 0, (uint32_t)me.self->sig_sender[sig]};  /* signo errno code pid */
            if (sig == L_SIGCHLD) {
                w[2] = KILLED_BY(me.self->chld_status) ? 2 : 1;                   /* CLD_KILLED, CLD_EXITED */
                int32_t status = KILLED_BY(me.self->chld_status) ? me.self->chld_status & 0x7f
                                                                       : (me.self->chld_status >> 8) & 0xff;
                memcpy(info + 40, &status, 4);                                        /* ssi_status */
            }
            memcpy(info, w, sizeof w);
            return sig;
        }
        p &= ~bit;
    }
    return 0;
}

/* read(2): as many whole signalfd_siginfo records as fit and are pending,
 * blocking for the first (EAGAIN when nonblocking).  EINVAL for a buffer
 * under 128 bytes; EINTR for a signal outside the mask. */
static long sfd_read(struct ofd *o, void *buf, uint64_t n)
{
    if (n < SFD_INFO)
        return -L_EINVAL;
    for (;;) {
        uint64_t done = 0;
        uint8_t info[SFD_INFO];
        shm_lock();
        while (done + SFD_INFO <= n && sfd_take(o, info)) {
            memcpy((uint8_t *)buf + done, info, SFD_INFO);
            done += SFD_INFO;
        }
        if (done)
            o->ev_seq++;
        shm_unlock();
        if (done)
            return (long)done;
        if (o->flags & L_O_NONBLOCK)
            return -L_EAGAIN;
        long r = posix_block(sfd_ready, o, 0);
        if (r < 0)
            return r;
    }
}

/* Readable while a signal of the mask is pending for the caller; the
 * event count moves with the pending set and with each read. */
static int sfd_poll(struct ofd *o, uint64_t *seq)
{
    uint64_t p = sfd_pending(o);
    *seq = o->ev_seq * 0x9e3779b97f4a7c15ul ^ p;
    return p ? PL_IN : 0;
}

static void sfd_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f00000a, 0600, 0);
}

const struct file_ops signalfd_ops = {
    .name = "signalfd",
    .read = sfd_read,
    .poll = sfd_poll,
    .stat = sfd_stat,
};

/* signalfd4(fd, mask, sizemask, flags): fd -1 makes a signalfd, else fd's
 * mask is replaced.  SIGKILL and SIGSTOP are dropped from the mask, as on
 * Linux.  Errors: EINVAL (sizemask not 8, unknown flags, fd not a
 * signalfd), EBADF, EFAULT, EMFILE, ENFILE. */
long sys_signalfd4(int fd, const uint64_t *mask, uint64_t size, int flags)
{
    if (size != 8 || (flags & ~(L_O_CLOEXEC | L_O_NONBLOCK)))
        return -L_EINVAL;
    if (!mm_user_ok(mask, 8, false))
        return -L_EFAULT;
    uint64_t m = *mask & ~UNBLOCKABLE;
    if (fd != -1) {
        struct ofd *o = fd_get(fd);
        if (!o)
            return -L_EBADF;
        if (o->kind != OFD_SIGNALFD)
            return -L_EINVAL;
        shm_lock();
        o->sfd_mask = m;
        o->ev_seq++;
        shm_event();
        shm_unlock();
        return fd;
    }
    shm_lock();
    struct ofd *o = ofd_new(OFD_SIGNALFD, L_O_RDWR | (flags & L_O_NONBLOCK));
    long r = -L_ENFILE;
    if (o) {
        o->sfd_mask = m;
        o->ev_seq = 0;
        r = fd_install(o, flags & L_O_CLOEXEC ? FD_CLOEXEC_BIT : 0, 0);
        if (r < 0)
            ofd_put(o);
    }
    shm_unlock();
    return r;
}
