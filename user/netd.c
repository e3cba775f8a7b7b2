/*
 * netd: the TCP/IP stack of one POSIX instance.  The instance's init
 * starts it when it holds the NIC (lib/posix/sock.c) and gives it the NIC
 * capability (slot 1), its own roots to the arena's two runs (rdi, rsi)
 * and a copy of the notification word every process of the instance can
 * signal (rdx).  netd runs lwIP (NO_SYS, raw API) on a vnetif whose
 * address comes from DHCP (10.0.2.15/24 via 10.0.2.2 if none answers in
 * time), published in the table's ifconfig.
 *
 * It claims only what its sockets use, so another stack (the native web
 * server) can share the NIC and the address: a block of ephemeral ports
 * (the first of PORT_BLOCKS the kernel does not refuse: another stack may
 * hold one), from which netd itself picks every port lwIP would have
 * chosen; a filter for each other port a socket binds (counted: accepted
 * connections share their listener's), given back with its last socket;
 * and ICMP if the instance is the first stack on the NIC (it holds the
 * first boot environment's CAP_NET, which init tells it in the table:
 * that stack answers pings).  A port another stack
 * holds fails bind with EADDRINUSE: the kernel refuses the overlap.
 *
 * It serves the arena's socket table (sock.h): requests posted in slots,
 * data through each slot's rx and tx rings.  One event loop sleeps on one
 * word, which frames (vnetif's bits), lwIP's timers and processes (bit
 * NETD_KICK) all end; after each round it bumps the arena's epoch if it
 * changed anything a process may wait for.  netd never takes the arena's
 * lock, and it checks what it reads from the table (the instance's
 * programs can write the arena) before it follows it.
 */
#include <vn.h>
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "vnet_dhcp.h"
#include "vnetif.h"
#include "../lib/posix/posix.h"

/* One slot's protocol state, or a connection lwIP accepted that no
 * accept() has taken yet (slot -1). */
struct conn {
    int slot;                   /* socket-table index, or -1 */
    int listener;               /* slot -1: the listener's slot */
    uint64_t order;             /* slot -1: arrival, for FIFO accept */
    struct tcp_pcb *tcp;
    struct udp_pcb *udp;
    struct raw_pcb *raw;        /* a raw ICMP socket (the ICMP section below) */
    struct pbuf *early;         /* slot -1: data received before accept */
    bool early_eof;
    uint64_t acked;             /* rx bytes given back to TCP's window */
    bool closing;               /* SOCK_OP_CLOSE: drain tx, close, free the slot */
    bool shut_wr, shut_wr_done; /* SHUT_WR asked / sent (after tx drained) */
    int claim;                  /* 1 + the index in claims[] of the port filter it holds, or 0 */
};

/* A port outside our ephemeral block that sockets hold, with its filter. */
struct port_claim {
    uint8_t proto;
    uint16_t port;
    int refs;                   /* sockets (a listener, its accepted connections) using it; 0: free */
    long id;                    /* vnetif's claim */
};

static struct conn conns[MAX_SOCKS];
static struct port_claim claims[MAX_SOCKS];
static uint16_t eph_lo, eph_hi, eph_next;  /* our ephemeral ports: [eph_lo, eph_hi] (0: none) */
static bool icmp_ours;
static struct conn waiting[MAX_SOCKS];
static uint64_t arrivals;
static bool changed;            /* something a process may wait for moved */
static struct netif nif;
static struct vnetif vn;

#define ARENA_END (SHM_BASE + SHM_PAGES * PAGE_SIZE)
#define PORT_BLOCK   0x1000     /* ephemeral ports: one aligned block of 4096 ... */
#define PORT_BLOCKS  4          /* ... of those from 0xc000 (IANA's dynamic range) */
#define EPH_RING     33         /* pages: every outgoing connection's frames */
#define PORT_RING    17         /* pages: a bound port's (a listener's and its connections') */
#define ICMP_RING    3
#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define NETD_DHCP_MS 3000       /* DHCP's answer: at most this long, then 10.0.2.15/24 */
#define LOOPBACK  PP_HTONL(0x7f000001ul)

static struct sock *slot_sock(const struct conn *c)
{
    return &shared->net.socks[c->slot];
}

/* A ring pointer a process wrote: inside the arena, or NULL. */
static uint8_t *ring_ok(uint8_t *p, uint64_t size)
{
    uint64_t a = (uint64_t)p;
    return a >= SHM_BASE && a + size <= ARENA_END && a + size > a ? p : NULL;
}

/* ------------------------------------------------------------ rings */

static void ring_put_pbuf(uint8_t *ring, uint64_t size, uint64_t head, struct pbuf *p, uint16_t from, uint16_t n)
{
    uint64_t off = head % size, run = size - off < n ? size - off : n;
    pbuf_copy_partial(p, ring + off, (u16_t)run, from);
    if (run < n)
        pbuf_copy_partial(p, ring, (u16_t)(n - run), (u16_t)(from + run));
}

static void ring_put(uint8_t *ring, uint64_t size, uint64_t head, const void *src, uint64_t n)
{
    uint64_t off = head % size, run = size - off < n ? size - off : n;
    memcpy(ring + off, src, run);
    memcpy(ring, (const uint8_t *)src + run, n - run);
}

static void ring_get(const uint8_t *ring, uint64_t size, uint64_t tail, void *dst, uint64_t n)
{
    uint64_t off = tail % size, run = size - off < n ? size - off : n;
    memcpy(dst, ring + off, run);
    memcpy((uint8_t *)dst + run, ring, n - run);
}

/* ------------------------------------------------------------ lwIP callbacks */

static void addrs_from(struct sock *s, const struct tcp_pcb *pcb)
{
    s->laddr = ip4_addr_get_u32(&pcb->local_ip);
    s->lport = pcb->local_port;
    s->raddr = ip4_addr_get_u32(&pcb->remote_ip);
    s->rport = pcb->remote_port;
}

/* Bytes for a slot's rx ring; ERR_MEM keeps them with lwIP (refused
 * data, offered again), which only a peer overrunning the window sees. */
static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    (void)err;
    if (!c) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (c->slot < 0) {
        if (!p)
            c->early_eof = true;
        else if (c->early)
            pbuf_cat(c->early, p);
        else
            c->early = p;
        return ERR_OK;
    }
    struct sock *s = slot_sock(c);
    changed = true;
    if (!p) {
        s->rx_eof = 1;
        return ERR_OK;
    }
    uint64_t head = s->rx_head, used = head - __atomic_load_n(&s->rx_tail, __ATOMIC_ACQUIRE);
    if (used > SOCK_RX_SIZE || SOCK_RX_SIZE - used < p->tot_len)
        return ERR_MEM;
    ring_put_pbuf(s->rx, SOCK_RX_SIZE, head, p, 0, p->tot_len);
    __atomic_store_n(&s->rx_head, head + p->tot_len, __ATOMIC_RELEASE);
    pbuf_free(p);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg, (void)pcb, (void)len;
    changed = true;             /* room in the send buffer: pump tx again */
    return ERR_OK;
}

/* lwIP freed the PCB (reset, or aborted). */
static void on_err(void *arg, err_t err)
{
    struct conn *c = arg;
    if (!c)
        return;
    c->tcp = NULL;
    if (c->slot < 0) {
        if (c->early)
            pbuf_free(c->early);
        shared->net.socks[c->listener].backlog--;
        *c = (struct conn){.slot = -1};
        changed = true;
        return;
    }
    struct sock *s = slot_sock(c);
    s->error = s->state == SS_CONNECTING ? L_ECONNREFUSED : err == ERR_ABRT ? L_ECONNABORTED : L_ECONNRESET;
    s->state = SS_CLOSED;
    s->rx_eof = 1;
    changed = true;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct conn *c = arg;
    (void)err;
    if (c && c->slot >= 0) {
        addrs_from(slot_sock(c), pcb);
        slot_sock(c)->state = SS_CONNECTED;
        changed = true;
    }
    return ERR_OK;
}

/* A connection for listener `arg` (a conn): held until accept() takes it. */
static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct conn *l = arg, *w = NULL;
    if (err != ERR_OK || !pcb || !l || l->slot < 0)
        return ERR_VAL;
    struct sock *ls = slot_sock(l);
    for (int i = 0; i < MAX_SOCKS && !w; i++)
        if (!waiting[i].tcp)
            w = &waiting[i];
    if (!w || ls->backlog >= SOCK_BACKLOG) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    /* It counts against the listener's backlog until accept() takes it:
     * lwIP drops further SYNs meanwhile, and the client retransmits. */
    tcp_backlog_delayed(pcb);
    *w = (struct conn){.slot = -1, .listener = l->slot, .order = arrivals++, .tcp = pcb};
    tcp_arg(pcb, w);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    ls->backlog++;
    changed = true;
    return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    struct conn *c = arg;
    (void)pcb;
    struct sock *s = c && c->slot >= 0 ? slot_sock(c) : NULL;
    struct sock_dgram d = {.len = p->tot_len, .port = port, .addr = ip4_addr_get_u32(addr)};
    uint64_t head = s ? s->rx_head : 0, used = s ? head - __atomic_load_n(&s->rx_tail, __ATOMIC_ACQUIRE) : 0;
    if (s && used <= SOCK_RX_SIZE && SOCK_RX_SIZE - used >= sizeof(d) + p->tot_len) {
        ring_put(s->rx, SOCK_RX_SIZE, head, &d, sizeof(d));
        ring_put_pbuf(s->rx, SOCK_RX_SIZE, head + sizeof(d), p, 0, p->tot_len);
        __atomic_store_n(&s->rx_head, head + sizeof(d) + p->tot_len, __ATOMIC_RELEASE);
        changed = true;
    }
    pbuf_free(p);               /* no room: dropped, as a full socket buffer does */
}

static void tcp_hooks(struct tcp_pcb *pcb, struct conn *c)
{
    tcp_arg(pcb, c);
    tcp_recv(pcb, c ? on_recv : NULL);
    tcp_sent(pcb, c ? on_sent : NULL);
    tcp_err(pcb, c ? on_err : NULL);
}

/* ------------------------------------------------------------ ICMP sockets
 *
 * Raw IPPROTO_ICMP sockets, as busybox ping (root) opens them: lwIP's raw
 * API.  Every ICMP packet netd receives (from the NIC or its loopback) is
 * copied, IP header and all, into each raw socket's rx ring as a record,
 * and lwIP still handles it (raw_recv returns 0: an echo request to us is
 * answered by lwIP's own ICMP).  A tx record is an ICMP message; lwIP
 * adds the IP header.  Packets from and to the NIC need netd's ICMP claim
 * (icmp_ours: the first stack on the NIC has it); without it the sockets
 * still ping netd's own addresses.  These functions are the only ICMP
 * socket code: the request and pump paths call them when the slot's type
 * is SOCK_RAW_T.
 */

static int lwip_errno(err_t e);

static u8_t icmp_on_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    struct conn *c = arg;
    (void)pcb;
    struct sock *s = c && c->slot >= 0 ? slot_sock(c) : NULL;
    struct sock_dgram d = {.len = p->tot_len, .port = 0, .addr = ip4_addr_get_u32(addr)};
    uint64_t head = s ? s->rx_head : 0, used = s ? head - __atomic_load_n(&s->rx_tail, __ATOMIC_ACQUIRE) : 0;
    if (s && used <= SOCK_RX_SIZE && SOCK_RX_SIZE - used >= sizeof(d) + p->tot_len) {
        ring_put(s->rx, SOCK_RX_SIZE, head, &d, sizeof(d));
        ring_put_pbuf(s->rx, SOCK_RX_SIZE, head + sizeof(d), p, 0, p->tot_len);
        __atomic_store_n(&s->rx_head, head + sizeof(d) + p->tot_len, __ATOMIC_RELEASE);
        changed = true;
    }
    return 0;                   /* not eaten: lwIP goes on with it (and a full ring drops our copy) */
}

static int icmp_open(struct conn *c, struct sock *s)
{
    if (!(c->raw = raw_new(IP_PROTO_ICMP)))
        return -L_ENOBUFS;
    raw_recv(c->raw, icmp_on_recv, c);
    s->state = SS_OPEN;
    return 0;
}

static int icmp_bind(struct conn *c, struct sock *s)
{
    ip_addr_t a;
    ip4_addr_set_u32(&a, s->req_addr);
    if (raw_bind(c->raw, &a) != ERR_OK)
        return -L_EADDRNOTAVAIL;
    s->laddr = s->req_addr;
    return 0;
}

static int icmp_connect(struct conn *c, struct sock *s)
{
    ip_addr_t a;
    ip4_addr_set_u32(&a, s->req_addr ? s->req_addr : LOOPBACK);
    if (raw_connect(c->raw, &a) != ERR_OK)
        return -L_EINVAL;
    s->raddr = ip4_addr_get_u32(&a);
    s->state = SS_CONNECTED;
    return 0;
}

static void icmp_close(struct conn *c)
{
    raw_remove(c->raw);
    c->raw = NULL;
}

/* Send the tx ring's records: each an ICMP message for d.addr (0: the
 * connected peer). */
static void icmp_pump(struct conn *c, struct sock *s)
{
    uint64_t head = __atomic_load_n(&s->tx_head, __ATOMIC_ACQUIRE), t = s->tx_tail;
    struct sock_dgram d;
    while (head - t >= sizeof(d) && head - t <= SOCK_TX_SIZE) {
        ring_get(s->tx, SOCK_TX_SIZE, t, &d, sizeof(d));
        if (d.len > head - t - sizeof(d))
            break;
        struct pbuf *p = pbuf_alloc(PBUF_IP, d.len, PBUF_RAM);
        if (p) {
            ring_get(s->tx, SOCK_TX_SIZE, t + sizeof(d), p->payload, d.len);
            ip_addr_t a;
            ip4_addr_set_u32(&a, d.addr);
            err_t e = d.addr ? raw_sendto(c->raw, p, &a) : raw_send(c->raw, p);
            pbuf_free(p);
            if (e != ERR_OK && !s->error)
                s->error = -lwip_errno(e);
        }
        t += sizeof(d) + d.len;
    }
    if (head - t > SOCK_TX_SIZE)
        t = head;
    if (t != s->tx_tail) {
        __atomic_store_n(&s->tx_tail, t, __ATOMIC_RELEASE);
        changed = true;
    }
}

/* Packets to our own addresses (127.0.0.1, and 10.0.2.15 from itself)
 * wait in lwIP's loopback queues until netif_poll_all; a ping's request
 * and its answer take one round each, so run a few rounds before netd
 * sleeps instead of leaving the answer for the next timer (~0.25 s). */
static void loopback_drain(void)
{
    for (int i = 0; i < 4; i++)
        netif_poll_all();
}

/* ------------------------------------------------------------ errors */

static int lwip_errno(err_t e)
{
    switch (e) {
    case ERR_OK: return 0;
    case ERR_MEM: case ERR_BUF: return -L_ENOBUFS;
    case ERR_USE: return -L_EADDRINUSE;
    case ERR_ISCONN: return -L_EISCONN;
    case ERR_ALREADY: case ERR_INPROGRESS: return -L_EALREADY;
    case ERR_RTE: return -L_ENETDOWN;
    case ERR_RST: return -L_ECONNRESET;
    default: return -L_EINVAL;
    }
}

/* ------------------------------------------------------------ claims
 *
 * The NIC's filters for what the sockets use.  Each bound port outside
 * the ephemeral block is a vnetif claim of its own (one filter, one small
 * ring): a bind adds one, the last socket on the port removes it, and none
 * is ever replaced in place (the kernel would refuse a new program that
 * overlaps our old one). */

static bool eph_has(uint16_t port)
{
    return eph_lo && port >= eph_lo && port <= eph_hi;
}

/* Give c a reference on the filter for its local (proto, port), installing
 * it if no socket holds one.  Errors: -L_EADDRINUSE (another stack's: the
 * kernel refused the overlap), -L_ENOBUFS. */
static int claim_take(struct conn *c, uint8_t proto, uint16_t port)
{
    struct port_claim *k = NULL;
    if (eph_has(port) || c->claim)
        return 0;
    for (int i = 0; i < MAX_SOCKS; i++) {
        if (claims[i].refs && claims[i].proto == proto && claims[i].port == port) {
            claims[i].refs++;
            c->claim = i + 1;
            return 0;
        }
        if (!claims[i].refs && !k)
            k = &claims[i];
    }
    struct vnetif_port p = {proto, port, 0};
    long id = k ? vnetif_claim(&nif, &p, 1, PORT_RING) : -E_NOSPC;
    if (id < 0)
        return id == -E_EXIST ? -L_EADDRINUSE : -L_ENOBUFS;
    *k = (struct port_claim){.proto = proto, .port = port, .refs = 1, .id = id};
    c->claim = (int)(k - claims) + 1;
    return 0;
}

static void claim_drop(struct conn *c)
{
    if (!c->claim)
        return;
    struct port_claim *k = &claims[c->claim - 1];
    c->claim = 0;
    if (--k->refs == 0)
        vnetif_unclaim(&nif, k->id);
}

/* An accepted connection shares its listener's filter (same local port). */
static void claim_share(struct conn *to, const struct conn *from)
{
    if (from->claim && !to->claim) {
        claims[from->claim - 1].refs++;
        to->claim = from->claim;
    }
}

/* Bind c's PCB at a to a free port of our ephemeral block: lwIP would
 * pick one of its own range, which another stack may own.  Without a
 * block, lwIP picks (the loopback still works).  Tries each port once. */
static err_t bind_ephemeral(struct conn *c, const ip_addr_t *a)
{
    if (!eph_lo)
        return c->tcp ? tcp_bind(c->tcp, a, 0) : udp_bind(c->udp, a, 0);
    for (unsigned n = 0; n <= (unsigned)(eph_hi - eph_lo); n++) {
        uint16_t p = eph_next;
        eph_next = eph_next == eph_hi ? eph_lo : (uint16_t)(eph_next + 1);
        err_t e = c->tcp ? tcp_bind(c->tcp, a, p) : udp_bind(c->udp, a, p);
        if (e != ERR_USE)
            return e;
    }
    return ERR_USE;
}

/* Bind c's PCB to port at a (0: an ephemeral one), first claiming the
 * port from the kernel unless it is in our block or a is the loopback.
 * Errors: -Linux errno (EADDRINUSE: ours or another stack's). */
static int bind_port(struct conn *c, const ip_addr_t *a, uint16_t port)
{
    if (port == 0)
        return lwip_errno(bind_ephemeral(c, a));
    bool loopback = ip4_addr_get_u32(a) == LOOPBACK;
    int r = loopback ? 0 : claim_take(c, c->tcp ? PROTO_TCP : PROTO_UDP, port);
    if (r < 0)
        return r;
    err_t e = c->tcp ? tcp_bind(c->tcp, a, port) : udp_bind(c->udp, a, port);
    if (e != ERR_OK)
        claim_drop(c);
    return lwip_errno(e);
}

/* An unbound PCB about to send gets an ephemeral port first. */
static int bind_if_unbound(struct conn *c)
{
    if ((c->tcp && c->tcp->local_port) || (c->udp && c->udp->local_port))
        return 0;
    return lwip_errno(bind_ephemeral(c, IP_ADDR_ANY));
}

/* Claim our ephemeral block (the first of PORT_BLOCKS the kernel lets us
 * have) and ICMP if init says the instance is the first stack on the NIC
 * (the one that answers pings; another stack's claim would be refused). */
static void claims_start(void)
{
    static const struct vnetif_port icmp = {PROTO_ICMP, 0, 0};
    for (unsigned b = 0; b < PORT_BLOCKS && !eph_lo; b++) {
        uint16_t lo = (uint16_t)(0xc000 + b * PORT_BLOCK);
        const struct vnetif_port p[2] = {{PROTO_TCP, lo, PORT_BLOCK}, {PROTO_UDP, lo, PORT_BLOCK}};
        if (vnetif_claim(&nif, p, 2, EPH_RING) >= 0) {
            eph_lo = lo;
            eph_hi = (uint16_t)(lo + PORT_BLOCK - 1);
            eph_next = (uint16_t)(lo + LWIP_RAND() % PORT_BLOCK);
        }
    }
    icmp_ours = shared->net.icmp && vnetif_claim(&nif, &icmp, 1, ICMP_RING) >= 0;
}

/* ------------------------------------------------------------ requests */

static int req_open(struct conn *c, struct sock *s)
{
    if (c->tcp || c->udp || c->raw)
        return -L_EINVAL;
    if (s->type == SOCK_RAW_T)
        return icmp_open(c, s);
    if (s->type == SOCK_STREAM_T) {
        if (!(c->tcp = tcp_new()))
            return -L_ENOBUFS;
        tcp_hooks(c->tcp, c);
    } else if (s->type == SOCK_DGRAM_T) {
        if (!(c->udp = udp_new()))
            return -L_ENOBUFS;
        udp_recv(c->udp, on_udp, c);
    } else {
        return -L_EINVAL;
    }
    s->state = SS_OPEN;
    return 0;
}

static int req_bind(struct conn *c, struct sock *s)
{
    ip_addr_t a;
    uint32_t want = s->req_addr;
    if (want && want != ip4_addr_get_u32(netif_ip4_addr(&nif)) && want != LOOPBACK)
        return -L_EADDRNOTAVAIL;
    if (c->raw)
        return icmp_bind(c, s);
    ip4_addr_set_u32(&a, want);
    if (!(c->tcp && s->state == SS_OPEN && !c->tcp->local_port) && !(c->udp && !c->udp->local_port))
        return -L_EINVAL;           /* bound already, or listening */
    int r = bind_port(c, &a, s->req_port);
    if (r == 0) {
        s->laddr = want;
        s->lport = c->tcp ? c->tcp->local_port : c->udp->local_port;
    }
    return r;
}

static int req_listen(struct conn *c, struct sock *s)
{
    if (!c->tcp)
        return -L_EOPNOTSUPP;
    if (s->state == SS_LISTEN)
        return 0;
    if (s->state != SS_OPEN)
        return -L_EINVAL;
    if (bind_if_unbound(c) < 0)
        return -L_EADDRINUSE;
    int backlog = s->req_arg < 1 ? 1 : s->req_arg > SOCK_BACKLOG ? SOCK_BACKLOG : s->req_arg;
    struct tcp_pcb *l = tcp_listen_with_backlog(c->tcp, (u8_t)backlog);
    if (!l)
        return -L_ENOBUFS;
    c->tcp = l;                     /* the unbound PCB was freed */
    tcp_arg(l, c);
    tcp_accept(l, on_accept);
    s->lport = l->local_port;
    s->backlog = 0;
    s->state = SS_LISTEN;
    return 0;
}

/* The oldest connection waiting on listener slot ls becomes slot c. */
static int req_accept(struct conn *c, struct sock *s)
{
    int ls = s->req_arg;
    if (ls < 0 || ls >= MAX_SOCKS || shared->net.socks[ls].state != SS_LISTEN || c->tcp || c->udp)
        return -L_EINVAL;
    struct conn *w = NULL;
    for (int i = 0; i < MAX_SOCKS; i++)
        if (waiting[i].tcp && waiting[i].listener == ls && (!w || waiting[i].order < w->order))
            w = &waiting[i];
    if (!w)
        return -L_EAGAIN;
    c->tcp = w->tcp;
    tcp_backlog_accepted(c->tcp);
    tcp_hooks(c->tcp, c);
    claim_share(c, &conns[ls]);
    addrs_from(s, c->tcp);
    s->state = SS_CONNECTED;
    if (w->early) {
        /* At most a window's worth arrived, and the ring holds more. */
        uint16_t n = w->early->tot_len;
        ring_put_pbuf(s->rx, SOCK_RX_SIZE, 0, w->early, 0, n);
        __atomic_store_n(&s->rx_head, n, __ATOMIC_RELEASE);
        pbuf_free(w->early);
    }
    s->rx_eof = w->early_eof;
    shared->net.socks[ls].backlog--;
    *w = (struct conn){.slot = -1};
    return 0;
}

static int req_connect(struct conn *c, struct sock *s)
{
    ip_addr_t a;
    if (c->raw)
        return icmp_connect(c, s);
    ip4_addr_set_u32(&a, s->req_addr ? s->req_addr : LOOPBACK);
    if ((c->udp || (c->tcp && s->state == SS_OPEN)) && bind_if_unbound(c) < 0)
        return -L_EADDRNOTAVAIL;    /* no ephemeral port free (Linux's answer) */
    if (c->udp) {
        err_t e = udp_connect(c->udp, &a, s->req_port);
        if (e == ERR_OK) {
            s->raddr = ip4_addr_get_u32(&a);
            s->rport = s->req_port;
            s->lport = c->udp->local_port;
            s->state = SS_CONNECTED;
        }
        return lwip_errno(e);
    }
    if (!c->tcp || s->state == SS_LISTEN)
        return s->state == SS_LISTEN ? -L_EINVAL : -L_EISCONN;
    if (s->state != SS_OPEN)
        return s->state == SS_CONNECTING ? -L_EALREADY : -L_EISCONN;
    err_t e = tcp_connect(c->tcp, &a, s->req_port, on_connected);
    if (e == ERR_OK) {
        s->state = SS_CONNECTING;
        s->lport = c->tcp->local_port;
    }
    return lwip_errno(e);
}

/* Free slot i for reuse; its PCB is gone or handed back to lwIP. */
static void slot_free(struct conn *c, struct sock *s)
{
    int i = c->slot;
    claim_drop(c);
    *c = (struct conn){.slot = i};
    s->state = SS_FREE;
    __atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
    changed = true;
}

static void pump_udp(struct conn *c, struct sock *s);

/* A datagram socket sends what its tx ring still holds first: a sendto
 * followed at once by close must not lose the datagram (Linux sent it in
 * sendto). */
static int req_close(struct conn *c, struct sock *s)
{
    c->closing = true;
    if (c->raw) {
        icmp_pump(c, s);
        icmp_close(c);
        slot_free(c, s);
    } else if (c->udp) {
        pump_udp(c, s);
        udp_remove(c->udp);
        slot_free(c, s);
    } else if (s->state == SS_LISTEN) {
        for (int i = 0; i < MAX_SOCKS; i++) {
            struct conn *w = &waiting[i];
            if (w->tcp && w->listener == c->slot) {
                if (w->early)
                    pbuf_free(w->early);
                tcp_hooks(w->tcp, NULL);
                tcp_abort(w->tcp);
                *w = (struct conn){.slot = -1};
            }
        }
        tcp_arg(c->tcp, NULL);
        tcp_close(c->tcp);          /* a listener's close cannot fail */
        slot_free(c, s);
    }
    return 0;                       /* streams finish in pump(), once tx is sent */
}

static void serve_request(struct conn *c, struct sock *s)
{
    int r;
    switch (s->req_op) {
    case SOCK_OP_OPEN: r = req_open(c, s); break;
    case SOCK_OP_BIND: r = req_bind(c, s); break;
    case SOCK_OP_LISTEN: r = req_listen(c, s); break;
    case SOCK_OP_ACCEPT: r = req_accept(c, s); break;
    case SOCK_OP_CONNECT: r = req_connect(c, s); break;
    case SOCK_OP_SHUTDOWN:
        c->shut_wr = s->req_arg == 1 || s->req_arg == 2;
        r = 0;
        break;
    case SOCK_OP_CLOSE: r = req_close(c, s); break;
    default: r = -L_EINVAL; break;
    }
    s->req_result = r;
}

/* ------------------------------------------------------------ data */

static void pump_tcp(struct conn *c, struct sock *s)
{
    struct tcp_pcb *pcb = c->tcp;
    if (pcb && s->state == SS_CONNECTED) {
        uint64_t tail = __atomic_load_n(&s->rx_tail, __ATOMIC_ACQUIRE);
        if (tail - c->acked <= SOCK_RX_SIZE) {
            while (tail != c->acked) {
                uint64_t k = tail - c->acked > 0xffff ? 0xffff : tail - c->acked;
                tcp_recved(pcb, (u16_t)k);
                c->acked += k;
            }
        }
        uint64_t head = __atomic_load_n(&s->tx_head, __ATOMIC_ACQUIRE), t = s->tx_tail;
        bool wrote = false;
        if (head - t > SOCK_TX_SIZE)
            t = head;                       /* nonsense counters: drop what they claim */
        while (head != t && tcp_sndbuf(pcb) > 0) {
            uint64_t off = t % SOCK_TX_SIZE, run = SOCK_TX_SIZE - off;
            if (run > head - t)
                run = head - t;
            if (run > tcp_sndbuf(pcb))
                run = tcp_sndbuf(pcb);
            if (tcp_write(pcb, s->tx + off, (u16_t)run, TCP_WRITE_FLAG_COPY) != ERR_OK)
                break;
            t += run;
            wrote = true;
        }
        if (t != s->tx_tail) {
            __atomic_store_n(&s->tx_tail, t, __ATOMIC_RELEASE);
            changed = true;
        }
        if (wrote)
            tcp_output(pcb);
        if (head != t)
            return;                         /* more to send before closing */
        if (c->closing) {
            tcp_hooks(pcb, NULL);           /* lwIP finishes the close alone */
            if (tcp_close(pcb) != ERR_OK)
                tcp_abort(pcb);
            slot_free(c, s);
            return;
        }
        if (c->shut_wr && !c->shut_wr_done && tcp_shutdown(pcb, 0, 1) == ERR_OK)
            c->shut_wr_done = true;
        return;
    }
    if (c->closing) {                       /* never connected, or reset */
        if (pcb) {
            tcp_hooks(pcb, NULL);
            if (tcp_close(pcb) != ERR_OK)
                tcp_abort(pcb);
        }
        slot_free(c, s);
    }
}

static void pump_udp(struct conn *c, struct sock *s)
{
    uint64_t head = __atomic_load_n(&s->tx_head, __ATOMIC_ACQUIRE), t = s->tx_tail;
    struct sock_dgram d;
    while (head - t >= sizeof(d) && head - t <= SOCK_TX_SIZE) {
        ring_get(s->tx, SOCK_TX_SIZE, t, &d, sizeof(d));
        if (d.len > head - t - sizeof(d))
            break;
        struct pbuf *p = bind_if_unbound(c) == 0 ? pbuf_alloc(PBUF_TRANSPORT, d.len, PBUF_RAM) : NULL;
        if (p) {
            ring_get(s->tx, SOCK_TX_SIZE, t + sizeof(d), p->payload, d.len);
            ip_addr_t a;
            ip4_addr_set_u32(&a, d.addr);
            err_t e = d.port ? udp_sendto(c->udp, p, &a, d.port) : udp_send(c->udp, p);
            pbuf_free(p);
            if (e != ERR_OK && !s->error)
                s->error = -lwip_errno(e);
            s->lport = c->udp->local_port;
        }
        t += sizeof(d) + d.len;
    }
    if (head - t > SOCK_TX_SIZE)
        t = head;
    if (t != s->tx_tail) {
        __atomic_store_n(&s->tx_tail, t, __ATOMIC_RELEASE);
        changed = true;
    }
}

static void serve_slot(int i)
{
    struct sock *s = &shared->net.socks[i];
    struct conn *c = &conns[i];
    if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
        return;
    uint32_t seq = __atomic_load_n(&s->req_seq, __ATOMIC_ACQUIRE);
    if (seq != s->done_seq) {
        if (!ring_ok(s->rx, SOCK_RX_SIZE) || !ring_ok(s->tx, SOCK_TX_SIZE))
            s->req_result = -L_EINVAL;
        else
            serve_request(c, s);
        __atomic_store_n(&s->done_seq, seq, __ATOMIC_RELEASE);
        changed = true;
    }
    if (!s->used || !ring_ok(s->rx, SOCK_RX_SIZE) || !ring_ok(s->tx, SOCK_TX_SIZE))
        return;
    if (c->raw)
        icmp_pump(c, s);
    else if (c->udp)
        pump_udp(c, s);
    else if (s->state != SS_LISTEN)
        pump_tcp(c, s);
}

/* ------------------------------------------------------------ start */

static bool map_arena(capref_t run0, capref_t run1)
{
    struct vn_map_entry batch[64];
    for (uint64_t p = 0; p < SHM_PAGES; p += 64) {
        for (uint64_t k = 0; k < 64; k++)
            batch[k] = (struct vn_map_entry){SHM_BASE + (p + k) * PAGE_SIZE, (p + k) < 512 ? run0 : run1,
                                             VM_PROT_WRITE, (p + k) % 512};
        if (vn_page_map(CAP_SELF, batch, 64) != 64)
            return false;
    }
    return true;
}

/* Bring the interface up: the address from DHCP (the static fallback
 * after NETD_DHCP_MS), then the claims; publish both in the table. */
static bool netd_ifup(void)
{
    ip4_addr_t ip, mask, gw;
    struct vnet_ifconfig cfg;
    char conf[96];
    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    if (!netif_add(&nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, &vn, vnetif_init, ethernet_input))
        return false;
    netif_set_default(&nif);
    netif_set_up(&nif);
    vnet_dhcp_acquire(&nif, NETD_DHCP_MS, &ip, &mask, &gw, &cfg);
    claims_start();
    struct sock_ifconfig *ifc = &shared->net.ifc;
    ifc->addr = ip4_addr_get_u32(&cfg.ip);
    ifc->mask = ip4_addr_get_u32(&cfg.mask);
    ifc->gw = ip4_addr_get_u32(&cfg.gw);
    ifc->dns = cfg.dns;
    ifc->dhcp = cfg.dhcp;
    ifc->eph_lo = eph_lo;
    ifc->eph_hi = eph_hi;
    ifc->icmp = icmp_ours;
    __atomic_store_n(&ifc->ready, 1, __ATOMIC_RELEASE);
    changed = true;
    vnet_ifconfig_format(&cfg, conf, sizeof(conf));
    printf("netd: %s; ephemeral ports %u-%u; ICMP %s; %d sockets\n", conf, eph_lo, eph_hi,
           icmp_ours ? "ours (we answer pings)" : "another stack's", MAX_SOCKS);
    return true;
}

int main(uint64_t run0, uint64_t run1, uint64_t word);
int main(uint64_t run0, uint64_t run1, uint64_t word)
{
    if (!map_arena((capref_t)run0, (capref_t)run1)) {
        printf("netd: cannot map the arena\n");
        return 1;
    }
    for (int i = 0; i < MAX_SOCKS; i++) {
        conns[i].slot = i;
        waiting[i].slot = -1;
    }
    lwip_init();
    vn = (struct vnetif){.nic = VN_CAP_SPAWN_SHARE, .word = (capref_t)word};
    if (!netd_ifup()) {
        printf("netd: no network interface\n");
        return 1;
    }
    for (;;) {
        vnetif_poll(&nif);
        netif_poll_all();
        sys_check_timeouts();
        for (int i = 0; i < MAX_SOCKS; i++)
            serve_slot(i);
        loopback_drain();
        if (changed) {
            changed = false;
            __atomic_add_fetch(&shared->epoch, 1, __ATOMIC_SEQ_CST);
        }
        vnetif_wait(&nif);
    }
}
