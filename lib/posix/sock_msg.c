/*
 * The message calls of sockets: sendmsg, recvmsg, sendmmsg and recvmmsg,
 * on top of sock.c's one send and one receive.  A stream gathers and
 * scatters iovec by iovec; a datagram is one record, so several iovecs
 * are gathered into (or scattered from) a buffer in the arena first.
 * glibc's resolver sends its A and AAAA queries with one sendmmsg.
 * Ancillary data is neither sent nor received (msg_controllen comes back
 * 0); recvmmsg's timeout is not served (it returns what is there once
 * the first message came, as with MSG_WAITFORONE).
 */
#include "posix.h"

#define L_MSG_DONTWAIT 0x40
#define L_MSG_TRUNC    0x20
#define IOV_MAX_L      1024

/* struct msghdr and struct mmsghdr as x86_64 Linux lays them out. */
struct l_msghdr {
    void *name;
    uint32_t namelen;
    uint32_t pad;
    const uint64_t *iov;            /* {base, len} pairs */
    uint64_t iovlen;
    void *control;
    uint64_t controllen;
    int32_t flags;
    int32_t pad2;
};
_Static_assert(sizeof(struct l_msghdr) == 56, "struct msghdr");

struct l_mmsghdr {
    struct l_msghdr hdr;
    uint32_t len;
    uint32_t pad;
};
_Static_assert(sizeof(struct l_mmsghdr) == 64, "struct mmsghdr");

/* Check the header and its iovecs; the byte total in *total. */
static long msg_check(struct l_msghdr *m, bool recv, uint64_t *total)
{
    if (!mm_user_ok(m, sizeof(*m), recv))
        return -L_EFAULT;
    if (m->iovlen > IOV_MAX_L)
        return -L_EMSGSIZE;
    if (m->iovlen && !mm_user_ok(m->iov, m->iovlen * 16, false))
        return -L_EFAULT;
    *total = 0;
    for (uint64_t i = 0; i < m->iovlen; i++) {
        uint64_t len = m->iov[2 * i + 1];
        if ((int64_t)len < 0 || !mm_user_ok((void *)m->iov[2 * i], len, recv))
            return (int64_t)len < 0 ? -L_EINVAL : -L_EFAULT;
        *total += len;
    }
    return 0;
}

/* The one non-empty iovec of m, if it has at most one. */
static bool single_iov(const struct l_msghdr *m, void **base, uint64_t *len)
{
    int seen = 0;
    *base = NULL;
    *len = 0;
    for (uint64_t i = 0; i < m->iovlen; i++)
        if (m->iov[2 * i + 1]) {
            if (seen++)
                return false;
            *base = (void *)m->iov[2 * i];
            *len = m->iov[2 * i + 1];
        }
    return true;
}

static long do_sendmsg(int fd, struct l_msghdr *m, int flags)
{
    struct ofd *o;
    struct sock *s;
    uint64_t total;
    uint32_t addr = 0;
    uint16_t port = 0;
    long r = sock_of(fd, &o, &s);
    if (r == 0)
        r = msg_check(m, false, &total);
    bool to = r == 0 && m->name && s->type != SOCK_STREAM_T;
    if (to && (r = sock_addr_in(m->name, m->namelen, &addr, &port)) == 0 && !port && s->type == SOCK_DGRAM_T)
        r = -L_EINVAL;
    if (r < 0)
        return r;
    bool nb = o->flags & L_O_NONBLOCK;
    if (s->type == SOCK_STREAM_T) {
        long done = 0;
        for (uint64_t i = 0; i < m->iovlen; i++) {
            uint64_t len = m->iov[2 * i + 1];
            if (!len)
                continue;
            r = sock_send(s, (const void *)m->iov[2 * i], len, flags, nb, 0, 0, false);
            if (r < 0)
                return done ? done : r;
            done += r;
            if ((uint64_t)r < len)
                break;
        }
        return done;
    }
    void *base;
    uint64_t len;
    if (single_iov(m, &base, &len))
        return sock_send(s, base, len, flags, nb, addr, port, to);
    if (total > SOCK_TX_SIZE / 2)
        return -L_EMSGSIZE;
    shm_lock();
    uint8_t *buf = shm_alloc(total);
    shm_unlock();
    if (!buf)
        return -L_ENOBUFS;
    for (uint64_t i = 0, at = 0; i < m->iovlen; at += m->iov[2 * i + 1], i++)
        memcpy(buf + at, (const void *)m->iov[2 * i], m->iov[2 * i + 1]);
    r = sock_send(s, buf, total, flags, nb, addr, port, to);
    shm_lock();
    shm_free(buf, total);
    shm_unlock();
    return r;
}

static long do_recvmsg(int fd, struct l_msghdr *m, int flags)
{
    struct ofd *o;
    struct sock *s;
    uint64_t total, full = 0;
    uint32_t addr = 0;
    uint16_t port = 0;
    long r = sock_of(fd, &o, &s);
    if (r == 0)
        r = msg_check(m, true, &total);
    if (r < 0)
        return r;
    bool nb = o->flags & L_O_NONBLOCK;
    void *base;
    uint64_t len;
    if (s->type == SOCK_STREAM_T) {
        r = 0;
        for (uint64_t i = 0; i < m->iovlen; i++) {
            len = m->iov[2 * i + 1];
            if (!len)
                continue;
            long k = sock_recv(s, (void *)m->iov[2 * i], len, r ? flags | L_MSG_DONTWAIT : flags, nb, &addr, &port, NULL);
            if (k < 0 && !r)
                return k;
            if (k <= 0)
                break;
            r += k;
            if ((uint64_t)k < len)
                break;
        }
        full = (uint64_t)r;
    } else if (single_iov(m, &base, &len)) {
        r = sock_recv(s, base, len, flags, nb, &addr, &port, &full);
    } else {
        uint64_t cap = total < SOCK_RX_SIZE ? total : SOCK_RX_SIZE;
        shm_lock();
        uint8_t *buf = cap ? shm_alloc(cap) : NULL;
        shm_unlock();
        if (cap && !buf)
            return -L_ENOBUFS;
        r = sock_recv(s, buf, cap, flags, nb, &addr, &port, &full);
        for (uint64_t i = 0, at = 0; r > 0 && i < m->iovlen && at < (uint64_t)r; i++) {
            uint64_t k = m->iov[2 * i + 1] < (uint64_t)r - at ? m->iov[2 * i + 1] : (uint64_t)r - at;
            memcpy((void *)m->iov[2 * i], buf + at, k);
            at += k;
        }
        shm_lock();
        shm_free(buf, cap);
        shm_unlock();
    }
    if (r < 0)
        return r;
    if (m->name) {
        long e = sock_addr_out(m->name, &m->namelen, addr, port);
        if (e < 0)
            return e;
    }
    m->controllen = 0;
    m->flags = s->type != SOCK_STREAM_T && full > (uint64_t)r ? L_MSG_TRUNC : 0;
    return r;
}

/* sendmmsg / recvmmsg: up to vlen (at most 1024) messages, each one's
 * byte count in its msg_len; the count done, or the first one's error. */
static long do_mmsg(int fd, struct l_mmsghdr *v, uint64_t vlen, int flags, bool recv)
{
    if (vlen > IOV_MAX_L)
        vlen = IOV_MAX_L;
    if (!mm_user_ok(v, vlen * sizeof(*v), true))
        return -L_EFAULT;
    uint64_t i;
    for (i = 0; i < vlen; i++) {
        long r = recv ? do_recvmsg(fd, &v[i].hdr, i ? flags | L_MSG_DONTWAIT : flags) : do_sendmsg(fd, &v[i].hdr, flags);
        if (r < 0) {
            if (i == 0)
                return r;
            break;
        }
        v[i].len = (uint32_t)r;
    }
    return (long)i;
}

long sock_msg_syscall(struct vn_xframe *x, bool *handled)
{
    *handled = true;
    switch (x->rax) {
    case 46: return do_sendmsg((int)x->rdi, (struct l_msghdr *)x->rsi, (int)x->rdx);
    case 47: return do_recvmsg((int)x->rdi, (struct l_msghdr *)x->rsi, (int)x->rdx);
    case 307: return do_mmsg((int)x->rdi, (struct l_mmsghdr *)x->rsi, x->rdx, (int)x->r10, false);
    case 299: return do_mmsg((int)x->rdi, (struct l_mmsghdr *)x->rsi, x->rdx, (int)x->r10, true);
    default:
        *handled = false;
        return 0;
    }
}
