/*
 * Pipes: a ring of PIPE_BUF_SIZE bytes in the shared arena, with byte
 * counters written by one side each.  No kernel pipe object: a blocked
 * reader or writer sleeps on the arena's epoch word and re-checks when
 * someone bumps it (any read, write or close does).  Writes of at most
 * PIPE_BUF (4096) bytes are atomic; a write with no reader left fails with
 * EPIPE (and SIGPIPE); reads see EOF once no writer is left.  Each end
 * is a kind of open file (pipe_r_ops, pipe_w_ops: file.h).
 */
#include "posix.h"

#define PIPE_ATOMIC 4096

long pipe_create(int *fds, int flags)
{
    shm_lock();
    struct pipe *p = NULL;
    for (int i = 0; i < MAX_PIPES && !p; i++)
        if (!shared->pipes[i].used)
            p = &shared->pipes[i];
    uint8_t *buf = p ? shm_alloc(PIPE_BUF_SIZE) : NULL;
    struct ofd *r = buf ? ofd_new(OFD_PIPE_R, flags & L_O_NONBLOCK) : NULL;
    struct ofd *w = r ? ofd_new(OFD_PIPE_W, (flags & L_O_NONBLOCK) | L_O_WRONLY) : NULL;
    if (!w) {
        if (r)
            r->kind = OFD_FREE;
        shm_free(buf, PIPE_BUF_SIZE);
        shm_unlock();
        return p ? -L_ENOMEM : -L_EMFILE;
    }
    *p = (struct pipe){.used = 1, .readers = 1, .writers = 1, .buf = buf};
    r->pipe = w->pipe = p;
    int fdflags = (flags & L_O_CLOEXEC) ? FD_CLOEXEC_BIT : 0;
    int a = fd_install(r, fdflags, 0), b = a < 0 ? a : fd_install(w, fdflags, 0);
    if (b < 0) {
        if (a >= 0)
            me.fds[a].ofd = NULL;
        ofd_put(r);
        ofd_put(w);
        shm_unlock();
        return b;
    }
    shm_unlock();
    fds[0] = a;
    fds[1] = b;
    return 0;
}

/* Called with the lock held when an end's last descriptor goes. */
static void pipe_close_end(struct pipe *p, bool writer)
{
    if (writer)
        p->writers--;
    else
        p->readers--;
    if (!p->readers && !p->writers) {
        shm_free(p->buf, PIPE_BUF_SIZE);
        p->used = 0;
    }
    shm_event();
}

static bool can_read(void *arg)
{
    struct pipe *p = arg;
    return p->head != p->tail || p->writers == 0;
}

static long pipe_read(struct pipe *p, void *buf, uint64_t n, bool nonblock)
{
    if (n == 0)
        return 0;
    for (;;) {
        if (!nonblock) {
            long r = posix_block(can_read, p, 0);
            if (r < 0)
                return r;
        }
        shm_lock();
        uint64_t avail = p->head - p->tail;
        if (avail == 0) {
            int writers = p->writers;
            shm_unlock();
            if (!writers)
                return 0;
            if (nonblock)
                return -L_EAGAIN;
            continue;
        }
        uint64_t k = avail < n ? avail : n;
        for (uint64_t done = 0; done < k;) {
            uint64_t off = p->tail % PIPE_BUF_SIZE, run = PIPE_BUF_SIZE - off;
            if (run > k - done)
                run = k - done;
            memcpy((uint8_t *)buf + done, p->buf + off, run);
            done += run;
            p->tail += run;
        }
        shm_event();
        shm_unlock();
        return (long)k;
    }
}

struct want_space {
    struct pipe *p;
    uint64_t need;
};

static bool can_write(void *arg)
{
    struct want_space *w = arg;
    return PIPE_BUF_SIZE - (w->p->head - w->p->tail) >= w->need || w->p->readers == 0;
}

static long pipe_write(struct pipe *p, const void *buf, uint64_t n, bool nonblock)
{
    uint64_t done = 0;
    while (done < n) {
        /* Small writes go in whole; larger ones as space appears. */
        struct want_space w = {p, n - done <= PIPE_ATOMIC ? n - done : 1};
        if (!nonblock) {
            long r = posix_block(can_write, &w, 0);
            if (r < 0)
                return done ? (long)done : r;
        }
        shm_lock();
        if (p->readers == 0) {
            shm_unlock();
            return -L_EPIPE;
        }
        uint64_t space = PIPE_BUF_SIZE - (p->head - p->tail);
        if (space < w.need) {
            shm_unlock();
            if (nonblock)
                return done ? (long)done : -L_EAGAIN;
            continue;
        }
        uint64_t k = space < n - done ? space : n - done;
        for (uint64_t c = 0; c < k;) {
            uint64_t off = p->head % PIPE_BUF_SIZE, run = PIPE_BUF_SIZE - off;
            if (run > k - c)
                run = k - c;
            memcpy(p->buf + off, (const uint8_t *)buf + done + c, run);
            c += run;
            p->head += run;
        }
        done += k;
        shm_event();
        shm_unlock();
    }
    return (long)done;
}

/* ------------------------------------------------------------ the two ends as kinds of file */

static long pipe_r_read(struct ofd *o, void *buf, uint64_t n)
{
    return pipe_read(o->pipe, buf, n, o->flags & L_O_NONBLOCK);
}

/* A write with no reader left also posts SIGPIPE to the writer. */
static long pipe_w_write(struct ofd *o, const void *buf, uint64_t n)
{
    long r = pipe_write(o->pipe, buf, n, o->flags & L_O_NONBLOCK);
    if (r == -L_EPIPE) {
        shm_lock();
        sig_post(me.self, L_SIGPIPE, me.pid);
        shm_unlock();
    }
    return r;
}

static int pipe_r_poll(struct ofd *o, uint64_t *seq)
{
    struct pipe *p = o->pipe;
    *seq = p->head + (p->writers == 0 ? 1ul << 63 : 0);
    return (p->head != p->tail ? PL_IN : 0) | (p->writers == 0 ? PL_HUP : 0);
}

static int pipe_w_poll(struct ofd *o, uint64_t *seq)
{
    struct pipe *p = o->pipe;
    *seq = p->tail + (p->readers == 0 ? 1ul << 63 : 0);
    return p->readers == 0 ? PL_ERR : (PIPE_BUF_SIZE - (p->head - p->tail) >= PIPE_ATOMIC ? PL_OUT : 0);
}

/* FIONREAD: the bytes waiting. */
static long pipe_r_ioctl(struct ofd *o, unsigned long req, uint64_t arg)
{
    if (req != 0x541B)
        return -L_ENOTTY;
    if (!mm_user_ok((void *)arg, 4, true))
        return -L_EFAULT;
    *(int *)arg = (int)(o->pipe->head - o->pipe->tail);
    return 0;
}

static void pipe_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000003, 010600, 0);
}

static void pipe_r_close(struct ofd *o)
{
    pipe_close_end(o->pipe, false);
}

static void pipe_w_close(struct ofd *o)
{
    pipe_close_end(o->pipe, true);
}

const struct file_ops pipe_r_ops = {
    .name = "pipe",
    .read = pipe_r_read,
    .poll = pipe_r_poll,
    .ioctl = pipe_r_ioctl,
    .stat = pipe_stat,
    .close = pipe_r_close,
};

const struct file_ops pipe_w_ops = {
    .name = "pipe",
    .write = pipe_w_write,
    .poll = pipe_w_poll,
    .stat = pipe_stat,
    .close = pipe_w_close,
};
