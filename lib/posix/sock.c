/*
 * Sockets (AF_INET, SOCK_STREAM and SOCK_DGRAM), served by netd, the
 * instance's TCP/IP stack (user/netd.c; the shared layout is sock.h).
 * A socket is an arena slot named by an OFD_SOCK description, so fork,
 * dup and close treat it as they treat a pipe end; its last reference
 * tells netd to close it.
 *
 * Control calls post a request in the slot, signal netd's word and sleep
 * on the epoch until netd has answered (a few microseconds of netd's
 * loop; signals do not cut that wait short, so a request is never lost
 * halfway).  Waits that can be long (accept, connect, data) go through
 * posix_block like pipes do: EINTR, O_NONBLOCK and EAGAIN as usual, and
 * poll/select see sockets through sock_poll.  Reads and writes copy
 * straight between the program and the slot's rings.
 *
 * Init starts netd (sock_netd_start) when the kernel gave it the NIC, and
 * every process holds a copy of netd's word, granted at fork, and a
 * capability to netd's environment (to see whether it lives, and to end
 * it: netd has a process-table entry, so ps lists it and kill -9 of its
 * pid destroys it).  If netd is gone (killed, or exited), whoever notices
 * first (a process waiting on a socket looks every 10 ms) marks the
 * table down: every socket then fails as on a dead link (recv
 * ECONNRESET, send EPIPE, the rest ENETDOWN; poll reports POLLERR and
 * POLLHUP) instead of waiting for ever.
 */
#include "posix.h"

#define L_AF_INET 2
#define L_SOCK_NONBLOCK 04000
#define L_SOCK_CLOEXEC 02000000
#define L_MSG_PEEK 0x2
#define L_MSG_DONTWAIT 0x40
#define L_MSG_NOSIGNAL 0x4000
#define L_SOL_SOCKET 1
#define SOCKADDR_IN 16

static int sock_poll(struct sock *s);

/* ------------------------------------------------------------ netd */

/* Make netd's process-table entry (lock held): no parent, so no wait4
 * or SIGCHLD involves it. */
static void netd_entry(capref_t env)
{
    struct vn_capinfo ci;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &shared->procs[i];
        if (p->state != P_FREE)
            continue;
        int pid = shared->next_pid++;
        *p = (struct proc){.state = P_ALIVE, .pid = pid, .ppid = 0, .pgid = pid, .sid = pid, .service = 1,
                           .start_ns = vn_clock_ns(), .comm = "netd", .cmdline = "netd", .cmdline_len = 5};
        p->envid = vn_cap_info(env, &ci) == 0 ? (int)ci.object : 0;
        shared->net.netd_pid = pid;
        return;
    }
}

void sock_netd_start(void)
{
    me.netd_kick = -1;
    me.netd_env = -1;
    capref_t nic = (capref_t)vn_envinfo->net_cap;     /* ours: the first boot environment's or a sibling */
    uint64_t size;
    const uint8_t *image = vn_archive_find("netd", &size);
    if (nic < 0)
        return;
    if (!image || size < 64) {
        printf("posix: a NIC but no netd: no sockets\n");
        return;
    }
    long word = vn_notify_create();
    capref_t env = word < 0 ? (capref_t)word
                            : vn_spawn_share_stopped("netd", NETD_QUOTA, 0, 0, nic, CR_READ | CR_WRITE, 0);
    if (env < 0) {
        printf("posix: cannot start netd (%s): no sockets\n", vn_strerror(env));
        if (word >= 0)
            vn_cap_delete((capref_t)word);
        return;
    }
    /* Its arguments: its roots to the arena's runs and its copy of the word
     * (CR_GRANT: with net=user netd hands it to netmux, <veneer/netmux.h>). */
    long run0 = vn_page_share(shm_caps[0], env, CR_READ | CR_WRITE | CR_MAP);
    long run1 = vn_page_share(shm_caps[1], env, CR_READ | CR_WRITE | CR_MAP);
    long w = vn_cap_grant((capref_t)word, env, CR_READ | CR_WRITE | CR_GRANT);
    uint64_t entry;
    memcpy(&entry, image + 24, 8);                  /* the ELF header's e_entry */
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP, .rdi = (uint64_t)run0, .rsi = (uint64_t)run1,
                           .rdx = (uint64_t)w};
    if (run0 < 0 || run1 < 0 || w < 0 || vn_env_set_regs(env, &regs) < 0 || vn_env_start(env) < 0) {
        printf("posix: cannot start netd: no sockets\n");
        vn_cap_delete(env);
        vn_cap_delete((capref_t)word);
        return;
    }
    /* netd is init's child in the kernel's hierarchy: it ends with the instance. */
    me.netd_kick = (capref_t)word;
    me.netd_env = env;
    struct vn_capinfo ci;
    shm_lock();
    shared->net.icmp = vn_cap_info(nic, &ci) >= 0 && (ci.rights & CR_CONTROL);
    shared->net.netd = 1;
    netd_entry(env);
    shm_unlock();
}

/* netd has gone: fail every socket from now on (lock held). */
static void netd_mark_down(void)
{
    service_mark_down(&shared->net.down, shared->net.netd_pid);
}

/* Whether netd has gone (lock held): the table says so, or netd's
 * environment is no longer alive. */
static bool netd_gone(void)
{
    static uint64_t next_look;
    if (shared->net.down || me.netd_env < 0)
        return shared->net.down;
    if (service_env_dead(me.netd_env, &next_look))
        netd_mark_down();
    return shared->net.down;
}

void sock_netd_signal(struct proc *p, int sig)
{
    if (!sig_default_terminate(sig) || p != proc_find(shared->net.netd_pid))
        return;
    if (me.netd_env >= 0)
        vn_env_destroy(me.netd_env);
    netd_mark_down();
}

static void kick(void)
{
    vn_notify_signal(me.netd_kick, NETD_KICK);
}

static bool req_done(void *arg)
{
    struct sock *s = arg;
    return s->done_seq == s->req_seq;
}

/* Post op on s (idle: no request pending) and wait for netd's answer.
 * Returns its result (0 or -errno), or -L_ENETDOWN once netd has gone. */
static long sock_request(struct sock *s, int op, int arg, uint32_t addr, uint16_t port)
{
    for (;;) {
        shm_lock();
        uint64_t seen = shared->epoch;
        if (netd_gone()) {
            shm_unlock();
            return -L_ENETDOWN;
        }
        if (req_done(s))
            break;
        shm_unlock();
        shm_wait(seen, 10000000);       /* another process's request on this socket */
    }
    s->req_op = op;
    s->req_arg = arg;
    s->req_addr = addr;
    s->req_port = port;
    __atomic_add_fetch(&s->req_seq, 1, __ATOMIC_RELEASE);
    shm_unlock();
    kick();
    for (;;) {
        uint64_t seen = shared->epoch;
        if (__atomic_load_n(&s->done_seq, __ATOMIC_ACQUIRE) == s->req_seq)
            return s->req_result;
        shm_lock();
        bool gone = netd_gone();
        shm_unlock();
        if (gone)
            return -L_ENETDOWN;
        shm_wait(seen, 10000000);
    }
}

/* A fresh slot for type, with its rings; the lock is held.  NULL if none. */
static struct sock *sock_alloc(int type)
{
    for (int i = 0; i < MAX_SOCKS; i++) {
        struct sock *s = &shared->net.socks[i];
        if (__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
            continue;
        if (!s->rx)
            s->rx = shm_alloc(SOCK_RX_SIZE);
        if (!s->tx)
            s->tx = shm_alloc(SOCK_TX_SIZE);
        if (!s->rx || !s->tx)
            return NULL;
        uint8_t *rx = s->rx, *tx = s->tx;
        *s = (struct sock){.used = 1, .type = type, .rx = rx, .tx = tx};
        return s;
    }
    return NULL;
}

/* Give back a slot netd holds nothing for (its OPEN or ACCEPT failed). */
static void sock_unalloc(struct sock *s)
{
    shm_lock();
    __atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
    shm_unlock();
}

/* The last description went (ofd_put, the lock is held): netd closes it
 * once its pending output is sent, and frees the slot. */
static void sock_close(struct sock *s)
{
    s->req_op = SOCK_OP_CLOSE;
    __atomic_add_fetch(&s->req_seq, 1, __ATOMIC_RELEASE);
    kick();
}

/* ------------------------------------------------------------ addresses */

long sock_addr_in(const void *sa, uint64_t len, uint32_t *addr, uint16_t *port)
{
    if (len < SOCKADDR_IN - 8 || len > 128)
        return -L_EINVAL;
    if (!mm_user_ok(sa, len, false))
        return -L_EFAULT;
    const uint8_t *b = sa;
    if ((b[0] | b[1] << 8) != L_AF_INET)
        return -L_EAFNOSUPPORT;
    *port = (uint16_t)(b[2] << 8 | b[3]);
    memcpy(addr, b + 4, 4);
    return 0;
}

long sock_addr_out(void *sa, uint32_t *lenp, uint32_t addr, uint16_t port)
{
    if (!sa)
        return 0;
    if (!mm_user_ok(lenp, 4, true))
        return -L_EFAULT;
    uint8_t b[SOCKADDR_IN] = {L_AF_INET, 0, (uint8_t)(port >> 8), (uint8_t)port};
    memcpy(b + 4, &addr, 4);
    uint32_t n = *lenp < SOCKADDR_IN ? *lenp : SOCKADDR_IN;
    if ((int32_t)*lenp < 0)
        return -L_EINVAL;
    if (!mm_user_ok(sa, n, true))
        return -L_EFAULT;
    memcpy(sa, b, n);
    *lenp = SOCKADDR_IN;
    return 0;
}

long sock_of(int fd, struct ofd **op, struct sock **sp)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if (o->kind != OFD_SOCK)
        return -L_ENOTSOCK;
    if (op)
        *op = o;
    *sp = o->sock;
    return 0;
}

static int take_error(struct sock *s)
{
    int e = s->error;
    s->error = 0;
    return e;
}

/* ------------------------------------------------------------ calls */

static long sock_install(struct sock *s, int flags)
{
    shm_lock();
    struct ofd *o = ofd_new(OFD_SOCK, L_O_RDWR | (flags & L_SOCK_NONBLOCK ? L_O_NONBLOCK : 0));
    long fd = o ? fd_install(o, flags & L_SOCK_CLOEXEC ? FD_CLOEXEC_BIT : 0, 0) : -L_ENFILE;
    if (o) {
        o->sock = s;
        if (fd < 0)
            ofd_put(o);             /* closes the socket */
    } else {
        sock_close(s);
    }
    shm_unlock();
    return fd;
}

static long sys_socket(int domain, int type, int proto)
{
    int base = type & 0xf, flags = type & ~0xf;
    if (domain != L_AF_INET)
        return -L_EAFNOSUPPORT;
    if (flags & ~(L_SOCK_NONBLOCK | L_SOCK_CLOEXEC))
        return -L_EINVAL;
    if (!((base == 1 && (proto == 0 || proto == 6)) || (base == 2 && (proto == 0 || proto == 17)) ||
          (base == 3 && proto == 1)))
        return -L_EPROTONOSUPPORT;  /* raw sockets: ICMP only (busybox ping) */
    if (me.netd_kick < 0)
        return -L_EAFNOSUPPORT;     /* no NIC, so no stack */
    shm_lock();
    if (netd_gone()) {
        shm_unlock();
        return -L_ENETDOWN;
    }
    struct sock *s = sock_alloc(base == 1 ? SOCK_STREAM_T : base == 2 ? SOCK_DGRAM_T : SOCK_RAW_T);
    shm_unlock();
    if (!s)
        return -L_ENFILE;
    long r = sock_request(s, SOCK_OP_OPEN, 0, 0, 0);
    if (r < 0) {
        sock_unalloc(s);
        return r;
    }
    return sock_install(s, flags);
}

static long sys_bind(int fd, const void *sa, uint64_t len)
{
    struct sock *s;
    uint32_t addr;
    uint16_t port;
    long r = sock_of(fd, NULL, &s);
    if (r == 0)
        r = sock_addr_in(sa, len, &addr, &port);
    return r < 0 ? r : sock_request(s, SOCK_OP_BIND, 0, addr, port);
}

static long sys_listen(int fd, int backlog)
{
    struct sock *s;
    long r = sock_of(fd, NULL, &s);
    if (r < 0)
        return r;
    return s->type != SOCK_STREAM_T ? -L_EOPNOTSUPP : sock_request(s, SOCK_OP_LISTEN, backlog, 0, 0);
}

static bool has_backlog(void *arg)
{
    struct sock *s = arg;
    return s->backlog > 0 || s->state != SS_LISTEN || netd_gone();
}

static long sys_accept(int fd, void *sa, uint32_t *lenp, int flags)
{
    struct ofd *o;
    struct sock *s;
    long r = sock_of(fd, &o, &s);
    if (r < 0)
        return r;
    if (flags & ~(L_SOCK_NONBLOCK | L_SOCK_CLOEXEC))
        return -L_EINVAL;
    if (sa && !mm_user_ok(lenp, 4, true))
        return -L_EFAULT;
    for (;;) {
        if (shared->net.down)
            return -L_ENETDOWN;
        if (s->state != SS_LISTEN)
            return -L_EINVAL;
        if (s->backlog <= 0) {
            if (o->flags & L_O_NONBLOCK)
                return -L_EAGAIN;
            if ((r = posix_block(has_backlog, s, 0)) < 0)
                return r;
            continue;
        }
        shm_lock();
        struct sock *n = sock_alloc(SOCK_STREAM_T);
        shm_unlock();
        if (!n)
            return -L_ENFILE;
        r = sock_request(n, SOCK_OP_ACCEPT, (int)(s - shared->net.socks), 0, 0);
        if (r == 0) {
            shm_lock();
            s->accepted++;
            shm_unlock();
            long nfd = sock_install(n, flags);
            if (nfd >= 0 && (r = sock_addr_out(sa, lenp, n->raddr, n->rport)) < 0)
                return r;           /* (the connection stays at nfd, as Linux leaves it) */
            return nfd;
        }
        sock_unalloc(n);
        if (r != -L_EAGAIN)         /* another process took it: wait again */
            return r;
    }
}

static bool connect_done(void *arg)
{
    struct sock *s = arg;
    return s->state != SS_CONNECTING || netd_gone();
}

static long sys_connect(int fd, const void *sa, uint64_t len)
{
    struct ofd *o;
    struct sock *s;
    uint32_t addr;
    uint16_t port;
    long r = sock_of(fd, &o, &s);
    if (r == 0)
        r = sock_addr_in(sa, len, &addr, &port);
    if (r == 0 && s->type == SOCK_STREAM_T && s->state == SS_CONNECTING)
        r = o->flags & L_O_NONBLOCK ? -L_EALREADY : 0;     /* a blocking call waits for the first */
    else if (r == 0)
        r = sock_request(s, SOCK_OP_CONNECT, 0, addr, port);
    if (r < 0 || s->type != SOCK_STREAM_T)
        return r;
    if (o->flags & L_O_NONBLOCK)
        return -L_EINPROGRESS;
    if ((r = posix_block(connect_done, s, 0)) < 0)
        return r;                   /* EINTR: it goes on, as on Linux */
    if (shared->net.down)
        return -L_ENETDOWN;
    if (s->state == SS_CONNECTED)
        return 0;
    shm_lock();
    r = take_error(s);
    shm_unlock();
    return r ? -r : -L_ECONNREFUSED;
}

static bool sock_readable(void *arg)
{
    return sock_poll(arg) & (1 | 8 | 16);
}

static bool sock_writable(void *arg)
{
    return sock_poll(arg) & (4 | 8 | 16);
}

/* recv: stream bytes, or one datagram (the rest of it is dropped; *full,
 * if not NULL, gets its whole length).  buf is checked by the caller (it
 * may be the libOS's own). */
long sock_recv(struct sock *s, void *buf, uint64_t n, int flags, bool nonblock, uint32_t *addr, uint16_t *port,
               uint64_t *full)
{
    for (;;) {
        shm_lock();
        uint64_t tail = s->rx_tail, avail = __atomic_load_n(&s->rx_head, __ATOMIC_ACQUIRE) - tail;
        if (avail > SOCK_RX_SIZE) {
            shm_unlock();
            return -L_EIO;
        }
        if (s->type != SOCK_STREAM_T && avail >= sizeof(struct sock_dgram)) {
            struct sock_dgram d;
            for (uint64_t i = 0; i < sizeof(d); i++)
                ((uint8_t *)&d)[i] = s->rx[(tail + i) % SOCK_RX_SIZE];
            uint64_t k = d.len < n ? d.len : n;
            for (uint64_t i = 0; i < k; i++)
                ((uint8_t *)buf)[i] = s->rx[(tail + sizeof(d) + i) % SOCK_RX_SIZE];
            if (!(flags & L_MSG_PEEK))
                __atomic_store_n(&s->rx_tail, tail + sizeof(d) + d.len, __ATOMIC_RELEASE);
            shm_unlock();
            *addr = d.addr;
            *port = d.port;
            if (full)
                *full = d.len;
            kick();
            return (long)k;
        }
        if (s->type == SOCK_STREAM_T && (avail || n == 0)) {
            uint64_t k = avail < n ? avail : n, off = tail % SOCK_RX_SIZE, run = SOCK_RX_SIZE - off;
            run = run < k ? run : k;
            memcpy(buf, s->rx + off, run);
            memcpy((uint8_t *)buf + run, s->rx, k - run);
            if (!(flags & L_MSG_PEEK))
                __atomic_store_n(&s->rx_tail, tail + k, __ATOMIC_RELEASE);
            shm_unlock();
            *addr = s->raddr;
            *port = s->rport;
            if (full)
                *full = k;
            if (k)
                kick();                 /* netd reopens the window */
            return (long)k;
        }
        int err = s->type == SOCK_STREAM_T && (s->rx_eof || s->rd_shut || s->state == SS_CLOSED) ? take_error(s) : 0;
        bool eof = s->type == SOCK_STREAM_T && (s->rx_eof || s->rd_shut || s->state == SS_CLOSED);
        bool unconnected = s->type == SOCK_STREAM_T && (s->state == SS_OPEN || s->state == SS_LISTEN);
        bool down = netd_gone();
        shm_unlock();
        if (down)                   /* what is in the ring came first; now the link is dead */
            return s->type == SOCK_STREAM_T ? -L_ECONNRESET : -L_ENETDOWN;
        if (err)
            return -err;
        if (eof)
            return 0;
        if (unconnected)
            return -L_ENOTCONN;
        if (nonblock || (flags & L_MSG_DONTWAIT))
            return -L_EAGAIN;
        long r = posix_block(sock_readable, s, 0);
        if (r < 0)
            return r;
    }
}

static long sock_epipe(int flags)
{
    if (!(flags & L_MSG_NOSIGNAL)) {
        shm_lock();
        sig_post(me.self, L_SIGPIPE, me.pid);
        shm_unlock();
    }
    return -L_EPIPE;
}

/* send: stream bytes as room appears, or one datagram to addr:port (to
 * false: the connected peer; EDESTADDRREQ if there is none).  buf is
 * checked by the caller. */
long sock_send(struct sock *s, const void *buf, uint64_t n, int flags, bool nonblock, uint32_t addr, uint16_t port,
               bool to)
{
    nonblock |= (flags & L_MSG_DONTWAIT) != 0;
    if (s->type != SOCK_STREAM_T) {
        struct sock_dgram d = {.len = (uint16_t)n, .port = to ? port : 0, .addr = to ? addr : 0};
        if (n > SOCK_TX_SIZE / 2 || n > 65507)
            return -L_EMSGSIZE;
        if (!to && s->state != SS_CONNECTED)
            return -L_EDESTADDRREQ;
        for (;;) {
            shm_lock();
            if (netd_gone()) {
                shm_unlock();
                return -L_ENETDOWN;
            }
            uint64_t head = s->tx_head, used = head - s->tx_tail;
            if (used <= SOCK_TX_SIZE && SOCK_TX_SIZE - used >= sizeof(d) + n) {
                for (uint64_t i = 0; i < sizeof(d); i++)
                    s->tx[(head + i) % SOCK_TX_SIZE] = ((const uint8_t *)&d)[i];
                for (uint64_t i = 0; i < n; i++)
                    s->tx[(head + sizeof(d) + i) % SOCK_TX_SIZE] = ((const uint8_t *)buf)[i];
                __atomic_store_n(&s->tx_head, head + sizeof(d) + n, __ATOMIC_RELEASE);
                shm_unlock();
                kick();
                return (long)n;
            }
            shm_unlock();
            if (nonblock)
                return -L_EAGAIN;
            long r = posix_block(sock_writable, s, 0);
            if (r < 0)
                return r;
        }
    }
    uint64_t done = 0;
    while (done < n) {
        shm_lock();
        if (netd_gone()) {
            shm_unlock();
            return done ? (long)done : sock_epipe(flags);
        }
        int state = s->state, err = state == SS_CLOSED ? take_error(s) : 0;
        uint64_t head = s->tx_head, used = head - s->tx_tail;
        if (state != SS_CONNECTED || s->wr_shut || used > SOCK_TX_SIZE) {
            shm_unlock();
            if (done)
                return (long)done;
            if (err)
                return -err;
            return state == SS_CLOSED || s->wr_shut ? sock_epipe(flags) : -L_ENOTCONN;
        }
        uint64_t k = SOCK_TX_SIZE - used < n - done ? SOCK_TX_SIZE - used : n - done;
        uint64_t off = head % SOCK_TX_SIZE, run = SOCK_TX_SIZE - off < k ? SOCK_TX_SIZE - off : k;
        memcpy(s->tx + off, (const uint8_t *)buf + done, run);
        memcpy(s->tx, (const uint8_t *)buf + done + run, k - run);
        __atomic_store_n(&s->tx_head, head + k, __ATOMIC_RELEASE);
        shm_unlock();
        if (k)
            kick();
        done += k;
        if (done == n)
            break;
        if (nonblock)
            return done ? (long)done : -L_EAGAIN;
        long r = posix_block(sock_writable, s, 0);
        if (r < 0)
            return done ? (long)done : r;
    }
    return (long)done;
}

static long sock_read(struct ofd *o, void *buf, uint64_t n)
{
    uint32_t a;
    uint16_t p;
    return sock_recv(o->sock, buf, n, 0, o->flags & L_O_NONBLOCK, &a, &p, NULL);
}

static long sock_write(struct ofd *o, const void *buf, uint64_t n)
{
    return sock_send(o->sock, buf, n, 0, o->flags & L_O_NONBLOCK, 0, 0, false);
}

static long sys_sendto(int fd, const void *buf, uint64_t n, int flags, const void *sa, uint64_t alen)
{
    struct ofd *o;
    struct sock *s;
    uint32_t addr = 0;
    uint16_t port = 0;
    long r = sock_of(fd, &o, &s);
    bool to = r == 0 && sa && s->type != SOCK_STREAM_T;
    if (r == 0 && !mm_user_ok(buf, n, false))
        r = -L_EFAULT;
    if (to && (r = sock_addr_in(sa, alen, &addr, &port)) == 0 && !port && s->type == SOCK_DGRAM_T)
        r = -L_EINVAL;
    return r < 0 ? r : sock_send(s, buf, n, flags, o->flags & L_O_NONBLOCK, addr, port, to);
}

static long sys_recvfrom(int fd, void *buf, uint64_t n, int flags, void *sa, uint32_t *lenp)
{
    struct ofd *o;
    struct sock *s;
    uint32_t addr;
    uint16_t port;
    long r = sock_of(fd, &o, &s);
    if (r == 0 && ((sa && !mm_user_ok(lenp, 4, true)) || !mm_user_ok(buf, n, true)))
        r = -L_EFAULT;
    if (r == 0)
        r = sock_recv(s, buf, n, flags, o->flags & L_O_NONBLOCK, &addr, &port, NULL);
    if (r >= 0 && sa) {
        long e = sock_addr_out(sa, lenp, addr, port);
        if (e < 0)
            return e;
    }
    return r;
}

static long sys_shutdown(int fd, int how)
{
    struct sock *s;
    long r = sock_of(fd, NULL, &s);
    if (r < 0)
        return r;
    if (how < 0 || how > 2)
        return -L_EINVAL;
    if (s->type == SOCK_STREAM_T && s->state != SS_CONNECTED && s->state != SS_CLOSED)
        return -L_ENOTCONN;
    shm_lock();
    if (how != 1)
        s->rd_shut = 1;
    if (how != 0)
        s->wr_shut = 1;
    shm_event();
    shm_unlock();
    return sock_request(s, SOCK_OP_SHUTDOWN, how, 0, 0);
}

static long sys_sockname(int fd, void *sa, uint32_t *lenp, bool peer)
{
    struct sock *s;
    long r = sock_of(fd, NULL, &s);
    if (r < 0)
        return r;
    if (!sa)
        return -L_EFAULT;
    if (peer && s->state != SS_CONNECTED && !(s->state == SS_CLOSED && s->rport))
        return -L_ENOTCONN;
    return peer ? sock_addr_out(sa, lenp, s->raddr, s->rport) : sock_addr_out(sa, lenp, s->laddr, s->lport);
}

/* setsockopt: the options programs set routinely are accepted (and have
 * no effect: netd's buffers and lwIP's timers are fixed); others are
 * refused with ENOPROTOOPT. */
static long sys_setsockopt(int fd, int level, int name, const void *val, uint64_t len)
{
    struct sock *s;
    long r = sock_of(fd, NULL, &s);
    if (r < 0)
        return r;
    if (len > 256 || !mm_user_ok(val, len, false))
        return -L_EFAULT;
    if (level == L_SOL_SOCKET)
        switch (name) {
        case 2: case 15:                /* SO_REUSEADDR, SO_REUSEPORT */
        case 6: case 9: case 13:        /* SO_BROADCAST, SO_KEEPALIVE, SO_LINGER */
        case 7: case 8:                 /* SO_SNDBUF, SO_RCVBUF */
        case 20: case 21:               /* SO_RCVTIMEO, SO_SNDTIMEO */
            return 0;
        default:
            return -L_ENOPROTOOPT;
        }
    if (level == 6 && name == 1)        /* IPPROTO_TCP, TCP_NODELAY: netd sends at once anyway */
        return 0;
    if (level == 0 && (name == 1 || name == 2 || name == 11))
        return 0;                       /* IPPROTO_IP: IP_TOS, IP_TTL, IP_RECVERR (glibc's resolver needs it) */
    return -L_ENOPROTOOPT;
}

static long sys_getsockopt(int fd, int level, int name, void *val, uint32_t *lenp)
{
    struct sock *s;
    long r = sock_of(fd, NULL, &s);
    if (r < 0)
        return r;
    if (!mm_user_ok(lenp, 4, true) || !mm_user_ok(val, *lenp < 4 ? *lenp : 4, true))
        return -L_EFAULT;
    int v;
    if (level != L_SOL_SOCKET)
        return -L_ENOPROTOOPT;
    switch (name) {
    case 4:                             /* SO_ERROR */
        shm_lock();
        v = take_error(s);
        if (!v && netd_gone())
            v = L_ENETDOWN;
        shm_unlock();
        break;
    case 3: v = s->type == SOCK_STREAM_T ? 1 : s->type == SOCK_DGRAM_T ? 2 : 3; break;     /* SO_TYPE */
    case 39: v = L_AF_INET; break;                                  /* SO_DOMAIN */
    case 30: v = s->state == SS_LISTEN; break;                      /* SO_ACCEPTCONN */
    case 7: v = SOCK_TX_SIZE; break;                                /* SO_SNDBUF */
    case 8: v = SOCK_RX_SIZE; break;                                /* SO_RCVBUF */
    case 2: case 9: v = 0; break;                                   /* SO_REUSEADDR, SO_KEEPALIVE */
    default: return -L_ENOPROTOOPT;
    }
    uint32_t k = *lenp < 4 ? *lenp : 4;
    memcpy(val, &v, k);
    *lenp = k;
    return 0;
}

/* Poll bits (POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16); lock held.  All of
 * them once netd has gone. */
static int sock_poll(struct sock *s)
{
    if (netd_gone())
        return PL_IN | PL_OUT | PL_ERR | PL_HUP;
    uint64_t rx = s->rx_head - s->rx_tail, tx = s->tx_head - s->tx_tail;
    int ev = s->error ? 8 : 0;
    if (s->state == SS_LISTEN)
        return ev | (s->backlog > 0 ? 1 : 0);
    if (s->type != SOCK_STREAM_T)
        return ev | (rx ? 1 : 0) | (tx + 2 * sizeof(struct sock_dgram) < SOCK_TX_SIZE / 2 ? 4 : 0);
    if (rx || s->rx_eof || s->rd_shut || s->state == SS_CLOSED)
        ev |= 1;
    if (s->state == SS_CONNECTED && !s->wr_shut && tx < SOCK_TX_SIZE)
        ev |= 4;
    if (s->state == SS_CLOSED || (s->rx_eof && s->wr_shut) || s->state == SS_OPEN)
        ev |= 16 | (s->state == SS_CLOSED ? 4 : 0);
    return ev;
}

static long sock_ioctl(struct ofd *o, unsigned long req, uint64_t arg)
{
    struct sock *s = o->sock;
    if (req != 0x541B)                  /* FIONREAD */
        return -L_ENOTTY;
    if (!mm_user_ok((void *)arg, 4, true))
        return -L_EFAULT;
    *(int *)arg = (int)(s->rx_head - s->rx_tail);
    return 0;
}

/* The event count moves with every byte in or out, a connection coming
 * or taken, and every change of state. */
static int sock_f_poll(struct ofd *o, uint64_t *seq)
{
    struct sock *s = o->sock;
    *seq = s->rx_head + s->tx_tail + s->accepted + (uint64_t)s->backlog + ((uint64_t)(s->state & 0xf) << 48) +
           ((uint64_t)(s->rx_eof != 0) << 52) + ((uint64_t)(s->error != 0) << 53) +
           ((uint64_t)(s->rd_shut || s->wr_shut) << 54);
    int ev = sock_poll(s);
    if (s->type == SOCK_STREAM_T && (s->rx_eof || s->state == SS_CLOSED || shared->net.down))
        ev |= PL_RDHUP;             /* the peer will send no more */
    return ev;
}

static void sock_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000003, 0140777, 0);  /* S_IFSOCK */
}

static void sock_f_close(struct ofd *o)
{
    sock_close(o->sock);
}

const struct file_ops sock_ops = {
    .name = "socket",
    .read = sock_read,
    .write = sock_write,
    .poll = sock_f_poll,
    .ioctl = sock_ioctl,
    .stat = sock_stat,
    .close = sock_f_close,
};

long sock_syscall(struct vn_xframe *x, bool *handled)
{
    uint64_t a = x->rdi, b = x->rsi, c = x->rdx, d = x->r10, e = x->r8, f = x->r9;
    *handled = true;
    switch (x->rax) {
    case 41: return sys_socket((int)a, (int)b, (int)c);
    case 42: return sys_connect((int)a, (const void *)b, c);
    case 43: return sys_accept((int)a, (void *)b, (uint32_t *)c, 0);
    case 288: return sys_accept((int)a, (void *)b, (uint32_t *)c, (int)d);
    case 44: return sys_sendto((int)a, (const void *)b, c, (int)d, (const void *)e, f);
    case 45: return sys_recvfrom((int)a, (void *)b, c, (int)d, (void *)e, (uint32_t *)f);
    case 48: return sys_shutdown((int)a, (int)b);
    case 49: return sys_bind((int)a, (const void *)b, c);
    case 50: return sys_listen((int)a, (int)b);
    case 51: return sys_sockname((int)a, (void *)b, (uint32_t *)c, false);
    case 52: return sys_sockname((int)a, (void *)b, (uint32_t *)c, true);
    case 54: return sys_setsockopt((int)a, (int)b, (int)c, (const void *)d, e);
    case 55: return sys_getsockopt((int)a, (int)b, (int)c, (void *)d, (uint32_t *)e);
    case 53: return -L_EAFNOSUPPORT;    /* socketpair: AF_UNIX is not served */
    default:
        *handled = false;
        return 0;
    }
}
