/*
 * epoll as a kind of open file.  An epoll description (OFD_EPOLL) holds
 * an interest list in the arena, so it is shared by dup and fork exactly
 * as Linux shares it through the open file description.  An item names
 * the watched file as Linux does, by (descriptor number, description):
 * the description and its reuse count (ofd.reuse), so an item whose
 * description has gone (every descriptor naming it closed, in every
 * process) drops out by itself at the next scan, and a description kept
 * alive by a dup keeps reporting, as on Linux.
 *
 * epoll_wait scans the list under the arena lock through each kind's poll
 * operation (file.h) and sleeps on the arena's epoch like poll does, so
 * sockets, pipes, the tty and eventfds mix freely.  Level-triggered items
 * report while ready; edge-triggered ones (EPOLLET) report when their
 * kind's event count has moved since they last reported; EPOLLONESHOT
 * items are disabled after one report until EPOLL_CTL_MOD.  A scan costs
 * at most EP_MAX items (a constant, not a count the caller chooses), and
 * starts where the last one stopped, so a small maxevents cannot starve
 * the items at the end of the list.
 *
 * Not served: epoll descriptors inside epoll (EINVAL), EPOLLEXCLUSIVE and
 * EPOLLWAKEUP have no effect.
 */
#include "posix.h"

#define EP_MAX       64             /* items per epoll instance */
#define EPOLLONESHOT (1u << 30)
#define EPOLLET      (1u << 31)
#define EP_IGNORED   ((1u << 28) | (1u << 29))  /* EPOLLEXCLUSIVE, EPOLLWAKEUP */
#define EP_EVENTS    (PL_IN | PL_PRI | PL_OUT | PL_ERR | PL_HUP | PL_RDHUP | 0x40 | 0x80 | 0x100 | 0x200)
#define L_EPOLL_CLOEXEC 02000000
#define L_ENOENT_EP  L_ENOENT
#define L_ENOSPC     28

struct ep_item {
    int used;
    int fd;                         /* the number it was added under */
    struct ofd *o;                  /* the watched description ... */
    uint32_t reuse;                 /* ... while its reuse count is this */
    uint32_t events;                /* interest, with EPOLLET / EPOLLONESHOT */
    uint64_t data;                  /* returned as given */
    uint64_t seq;                   /* event count when last reported (EPOLLET) */
    bool fired;                     /* an EPOLLET item has reported at seq */
    bool disabled;                  /* EPOLLONESHOT: reported, waiting for MOD */
};

struct epoll {
    struct ep_item items[EP_MAX];
    int next;                       /* where the next scan starts */
};

/* struct epoll_event is packed on x86_64: 12 bytes. */
struct __attribute__((packed)) l_epoll_event {
    uint32_t events;
    uint64_t data;
};

/* Whether it still names a live description; drops it if not (also one
 * whose pointer a scribbling program bent out of the table). */
static bool item_live(struct ep_item *it)
{
    if (!it->used)
        return false;
    uint64_t off = (uint64_t)it->o - (uint64_t)shared->ofds;
    if (off >= sizeof(shared->ofds) || off % sizeof(struct ofd) || it->o->kind == OFD_FREE ||
        it->o->reuse != it->reuse) {
        it->used = 0;
        return false;
    }
    return true;
}

static struct ep_item *item_find(struct epoll *ep, int fd, const struct ofd *o)
{
    for (int i = 0; i < EP_MAX; i++) {
        struct ep_item *it = &ep->items[i];
        if (item_live(it) && it->fd == fd && it->o == o)
            return it;
    }
    return NULL;
}

/* ------------------------------------------------------------ the epoll fd as a file */

/* Readiness of one item now, masked by its interest (lock held). */
static uint32_t item_ready(struct ep_item *it, uint64_t *seq)
{
    *seq = 0;
    if (it->disabled)
        return 0;
    int ev = ofd_poll(it->o, seq);
    return (uint32_t)ev & ((it->events & EP_EVENTS) | PL_ERR | PL_HUP);
}

/* poll() on an epoll fd: readable when an item would be reported. */
static int epoll_poll(struct ofd *o, uint64_t *seq)
{
    struct epoll *ep = o->ep;
    *seq = 0;
    for (int i = 0; i < EP_MAX; i++) {
        struct ep_item *it = &ep->items[i];
        uint64_t s;
        if (!item_live(it))
            continue;
        uint32_t r = item_ready(it, &s);
        *seq += s;
        if (r && (!(it->events & EPOLLET) || !it->fired || s != it->seq))
            return PL_IN;
    }
    return 0;
}

static void epoll_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000005, 0600, 0);      /* anon inode: no file type bits */
}

static void epoll_close(struct ofd *o)
{
    shm_free(o->ep, sizeof(struct epoll));
}

const struct file_ops epoll_ops = {
    .name = "epoll",
    .poll = epoll_poll,
    .stat = epoll_stat,
    .close = epoll_close,
};

/* ------------------------------------------------------------ calls */

static long sys_epoll_create(int flags)
{
    if (flags & ~L_EPOLL_CLOEXEC)
        return -L_EINVAL;
    shm_lock();
    struct epoll *ep = shm_alloc(sizeof(struct epoll));
    struct ofd *o = ep ? ofd_new(OFD_EPOLL, L_O_RDWR) : NULL;
    long fd = -L_ENOMEM;
    if (o) {
        memset(ep, 0, sizeof(*ep));
        o->ep = ep;
        fd = fd_install(o, flags & L_EPOLL_CLOEXEC ? FD_CLOEXEC_BIT : 0, 0);
        if (fd < 0)
            ofd_put(o);             /* frees ep */
    } else if (ep) {
        shm_free(ep, sizeof(struct epoll));
        fd = -L_ENFILE;
    }
    shm_unlock();
    return fd;
}

/* epoll_ctl: ADD (EEXIST if present, ENOSPC if full, EPERM for a file
 * that cannot be polled), MOD and DEL (ENOENT if absent).  EBADF for bad
 * descriptors, EINVAL for a non-epoll epfd, fd == epfd or an epoll fd. */
static long sys_epoll_ctl(int epfd, int op, int fd, const struct l_epoll_event *ev)
{
    struct ofd *e = fd_get(epfd), *o = fd_get(fd);
    if (!e || !o)
        return -L_EBADF;
    if (e->kind != OFD_EPOLL || epfd == fd || o->kind == OFD_EPOLL)
        return -L_EINVAL;
    if (op < 1 || op > 3)
        return -L_EINVAL;
    struct l_epoll_event want = {0, 0};
    if (op != 2) {
        if (!mm_user_ok(ev, sizeof(*ev), false))
            return -L_EFAULT;
        want = *ev;
    }
    if (!file_ops_of(o)->poll)
        return -L_EPERM;            /* regular files and devices: always ready */
    long r = 0;
    shm_lock();
    struct epoll *ep = e->ep;
    struct ep_item *it = item_find(ep, fd, o);
    if (op == 1) {                  /* EPOLL_CTL_ADD */
        if (it) {
            r = -L_EEXIST;
        } else {
            for (int i = 0; i < EP_MAX && !it; i++)
                if (!item_live(&ep->items[i]))
                    it = &ep->items[i];
            if (!it)
                r = -L_ENOSPC;
        }
    } else if (!it) {
        r = -L_ENOENT_EP;
    }
    if (r == 0 && op == 2) {        /* EPOLL_CTL_DEL */
        it->used = 0;
    } else if (r == 0) {            /* ADD, MOD: (re)arm; an edge item reports what is ready now */
        *it = (struct ep_item){.used = 1, .fd = fd, .o = o, .reuse = o->reuse, .events = want.events & ~EP_IGNORED,
                               .data = want.data};
    }
    shm_unlock();
    return r;
}

struct ep_wait {
    struct epoll *ep;
    struct l_epoll_event *out;
    int max;
    int n;
};

/* Fill out[] with up to max reports (lock held); the ready() of posix_block. */
static bool ep_scan(void *arg)
{
    struct ep_wait *w = arg;
    struct epoll *ep = w->ep;
    w->n = 0;
    int start = ep->next, i;
    for (int k = 0; k < EP_MAX && w->n < w->max; k++) {
        i = (start + k) % EP_MAX;
        struct ep_item *it = &ep->items[i];
        uint64_t seq;
        if (!item_live(it))
            continue;
        uint32_t r = item_ready(it, &seq);
        if (!r)
            continue;
        if (it->events & EPOLLET) {
            if (it->fired && seq == it->seq)
                continue;           /* nothing new since it last reported */
            it->fired = true;
            it->seq = seq;
        }
        if (it->events & EPOLLONESHOT)
            it->disabled = true;
        w->out[w->n].events = r;
        w->out[w->n].data = it->data;
        w->n++;
        ep->next = (i + 1) % EP_MAX;
    }
    return w->n > 0;
}

/* epoll_wait(epfd, events, maxevents, timeout_ms); mask: the signal mask
 * to wait under (epoll_pwait), or NULL.  EINVAL for maxevents < 1 or a
 * non-epoll epfd, EFAULT for the buffer, EINTR when a signal comes; 0 at
 * the timeout. */
static long sys_epoll_wait(int epfd, void *events, int max, int64_t timeout_ms, const uint64_t *mask)
{
    struct ofd *e = fd_get(epfd);
    if (!e)
        return -L_EBADF;
    if (e->kind != OFD_EPOLL || max < 1 || max > (1 << 20))
        return -L_EINVAL;
    if (max > EP_MAX)
        max = EP_MAX;               /* never more reports than items */
    if (!mm_user_ok(events, (uint64_t)max * sizeof(struct l_epoll_event), true))
        return -L_EFAULT;
    struct ep_wait w = {e->ep, events, max, 0};
    long r;
    if (timeout_ms == 0) {
        shm_lock();
        ep_scan(&w);
        shm_unlock();
        return w.n;
    }
    if (mask)
        sig_suspend_begin(*mask);
    uint64_t deadline = timeout_ms < 0 ? 0 : vn_clock_ns() + (uint64_t)timeout_ms * 1000000 + 1;
    r = posix_block(ep_scan, &w, deadline);
    if (mask)
        sig_suspend_end();
    return r == -L_EAGAIN ? 0 : r < 0 ? r : w.n;
}

/* The sigmask argument of epoll_pwait(2): NULL, or 8 bytes (sigsetsize). */
static long pwait_mask(uint64_t p, uint64_t size, const uint64_t **mask)
{
    *mask = NULL;
    if (!p)
        return 0;
    if (size != 8)
        return -L_EINVAL;
    if (!mm_user_ok((void *)p, 8, false))
        return -L_EFAULT;
    *mask = (const uint64_t *)p;
    return 0;
}

long epoll_syscall(struct vn_xframe *x, bool *handled)
{
    uint64_t a = x->rdi, b = x->rsi, c = x->rdx, d = x->r10, e = x->r8, f = x->r9;
    const uint64_t *mask;
    long r;
    *handled = true;
    switch (x->rax) {
    case 213: return (int)a <= 0 ? -L_EINVAL : sys_epoll_create(0);        /* epoll_create(size) */
    case 291: return sys_epoll_create((int)a);                              /* epoll_create1 */
    case 233: return sys_epoll_ctl((int)a, (int)b, (int)c, (const struct l_epoll_event *)d);
    case 232: return sys_epoll_wait((int)a, (void *)b, (int)c, (int)d, NULL);
    case 281:                                                               /* epoll_pwait */
        if ((r = pwait_mask(e, f, &mask)) < 0)
            return r;
        return sys_epoll_wait((int)a, (void *)b, (int)c, (int)d, mask);
    case 441: {                                                             /* epoll_pwait2: a timespec */
        int64_t t = -1;
        if (d) {
            if (!mm_user_ok((void *)d, 16, false))
                return -L_EFAULT;
            const int64_t *ts = (const int64_t *)d;
            if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
                return -L_EINVAL;
            uint64_t sec = ts[0] > 100000000 ? 100000000 : (uint64_t)ts[0];
            t = (int64_t)(sec * 1000 + ((uint64_t)ts[1] + 999999) / 1000000);
        }
        if ((r = pwait_mask(e, f, &mask)) < 0)
            return r;
        return sys_epoll_wait((int)a, (void *)b, (int)c, t, mask);
    }
    default:
        *handled = false;
        return 0;
    }
}
