/*
 * lwIP on Veneer without a NIC: the stack as built from Debian's sources
 * (liblwip.a, NO_SYS=1, the raw API), on its loopback interface, with
 * vn_clock_ns as its clock.  A TCP echo server on 127.0.0.1:7 and a
 * client that streams 1 MiB to it in chunks of varying size; the server
 * acknowledges only what it has echoed, so flow control is exercised.  The
 * echo must come back byte for byte (and with the same FNV-1a sum).  Then
 * 64 UDP datagrams of 1 to 16000 bytes make a round trip each; the heap
 * and the pbuf pool end where they began, with no allocation failures.
 * Last, a vnetif without a NIC fails netif_add cleanly.
 */
#include "check.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "vnetif.h"

#define TOTAL     (1u << 20)
#define PORT      7
#define DGRAMS    64
#define DEADLINE  60000000000ul     /* ns for each part */

static uint8_t byte_at(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ul;
    return (uint8_t)(x >> 29 ^ x >> 7);
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    while (n--)
        h = (h ^ *p++) * 0x100000001b3ul;
    return h;
}

/* Run the stack (loopback deliveries, timers) until *flag or the deadline. */
static void run_until(const int *flag)
{
    uint64_t end = vn_clock_ns() + DEADLINE;
    while (!*flag && vn_clock_ns() < end) {
        netif_poll_all();
        sys_check_timeouts();
    }
}

/* ---- the TCP echo server: echoes what its send buffer takes, and only
 * then acknowledges it to the stack (tcp_recved), which opens the window */
static struct echo {
    struct tcp_pcb *pcb;
    struct pbuf *pending;           /* received, not yet echoed */
    int fin, closed, errors;
} srv;

static void echo_flush(struct echo *e)
{
    while (e->pending) {
        u16_t n = LWIP_MIN(e->pending->len, tcp_sndbuf(e->pcb));
        if (n == 0 || tcp_write(e->pcb, e->pending->payload, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        tcp_recved(e->pcb, n);
        e->pending = pbuf_free_header(e->pending, n);
    }
    tcp_output(e->pcb);
    if (e->fin && !e->pending && !e->closed) {
        e->closed = 1;
        CHECK_EQ(tcp_close(e->pcb), ERR_OK);
    }
}

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct echo *e = arg;
    (void)pcb;
    if (err != ERR_OK)
        e->errors++;
    if (!p)
        e->fin = 1;
    else if (e->pending)
        pbuf_cat(e->pending, p);
    else
        e->pending = p;
    echo_flush(e);
    return ERR_OK;
}

static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb, (void)len;
    echo_flush(arg);
    return ERR_OK;
}

static void echo_err(void *arg, err_t err)
{
    struct echo *e = arg;
    printf("lwip_loop: server connection error %d\n", err);
    e->errors++;
    e->closed = 1;
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct echo *e = arg;
    if (err != ERR_OK || e->pcb) {
        e->errors++;
        return ERR_VAL;
    }
    e->pcb = pcb;
    tcp_arg(pcb, e);
    tcp_recv(pcb, echo_recv);
    tcp_sent(pcb, echo_sent);
    tcp_err(pcb, echo_err);
    return ERR_OK;
}

/* ---- the client: sends TOTAL bytes in chunks of 1..4096 bytes, checks
 * every byte that comes back */
static struct client {
    struct tcp_pcb *pcb;
    size_t sent, got, wrong;
    uint64_t sum_sent, sum_got;
    unsigned chunk;
    int fin, errors;
} cli = {.sum_sent = 0xcbf29ce484222325ul, .sum_got = 0xcbf29ce484222325ul};

static void client_send(struct client *c)
{
    static uint8_t buf[4096];
    while (c->sent < TOTAL) {
        size_t n = 1 + (c->chunk++ * 2654435761u >> 7) % sizeof(buf);
        n = LWIP_MIN(n, TOTAL - c->sent);
        n = LWIP_MIN(n, tcp_sndbuf(c->pcb));
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            buf[i] = byte_at(c->sent + i);
        if (tcp_write(c->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        c->sum_sent = fnv(c->sum_sent, buf, n);
        c->sent += n;
    }
    tcp_output(c->pcb);
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)pcb;
    if (err != ERR_OK)
        ((struct client *)arg)->errors++;
    else
        client_send(arg);
    return ERR_OK;
}

static err_t client_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb, (void)len;
    client_send(arg);
    return ERR_OK;
}

static err_t client_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct client *c = arg;
    if (err != ERR_OK)
        c->errors++;
    if (!p) {
        c->fin = 1;
        return ERR_OK;
    }
    for (struct pbuf *q = p; q; q = q->next) {
        const uint8_t *d = q->payload;
        for (u16_t i = 0; i < q->len; i++)
            c->wrong += d[i] != byte_at(c->got + i);
        c->sum_got = fnv(c->sum_got, d, q->len);
        c->got += q->len;
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (c->got >= TOTAL)
        CHECK_EQ(tcp_close(pcb), ERR_OK);
    return ERR_OK;
}

static void client_err(void *arg, err_t err)
{
    struct client *c = arg;
    printf("lwip_loop: client connection error %d\n", err);
    c->errors++;
    c->fin = 1;
}

/* ---- UDP: an echo server on port 7, a client checking each reply */
static struct {
    size_t want, got;
    int wrong, done;
} dgram;

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    CHECK_EQ(udp_sendto(pcb, p, addr, port), ERR_OK);
    pbuf_free(p);
}

static void udp_reply(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)arg, (void)pcb, (void)addr;
    uint8_t b[64];
    dgram.wrong += p->tot_len != dgram.want || port != PORT;
    for (size_t off = 0; off < p->tot_len; off += sizeof(b)) {
        u16_t n = pbuf_copy_partial(p, b, sizeof(b), (u16_t)off);
        for (u16_t i = 0; i < n; i++)
            dgram.wrong += b[i] != byte_at(dgram.want + off + i);
    }
    dgram.got += p->tot_len;
    dgram.done = 1;
    pbuf_free(p);
}

static void tcp_part(const ip_addr_t *lo)
{
    struct tcp_pcb *l = tcp_new();
    CHECK(l != NULL);
    CHECK_EQ(tcp_bind(l, lo, PORT), ERR_OK);
    struct tcp_pcb *lp = tcp_listen(l);
    CHECK(lp != NULL);
    tcp_arg(lp, &srv);
    tcp_accept(lp, echo_accept);

    cli.pcb = tcp_new();
    CHECK(cli.pcb != NULL);
    tcp_arg(cli.pcb, &cli);
    tcp_recv(cli.pcb, client_recv);
    tcp_sent(cli.pcb, client_sent);
    tcp_err(cli.pcb, client_err);
    uint64_t t0 = vn_clock_ns();
    u32_t ms0 = sys_now();
    CHECK_EQ(tcp_connect(cli.pcb, lo, PORT, client_connected), ERR_OK);
    run_until(&cli.fin);
    run_until(&srv.closed);
    uint64_t dt = vn_clock_ns() - t0;
    printf("lwip_loop: tcp: %lu bytes echoed in %lu ms (%lu KiB/s, %u segments; sys_now advanced %u ms)\n",
           (uint64_t)cli.got, dt / 1000000, dt ? (uint64_t)cli.got * 1000000000ul / dt / 1024 : 0,
           (unsigned)lwip_stats.tcp.xmit, sys_now() - ms0);
    CHECK(cli.sent == TOTAL);
    CHECK(cli.got == TOTAL);
    CHECK(cli.wrong == 0);
    CHECK(cli.sum_got == cli.sum_sent);
    CHECK(cli.errors == 0 && srv.errors == 0);
    CHECK(srv.fin && srv.closed && !srv.pending);
    CHECK(sys_now() - ms0 + 2 >= dt / 1000000);
    CHECK_EQ(tcp_close(lp), ERR_OK);
}

static void udp_part(const ip_addr_t *lo)
{
    struct udp_pcb *s = udp_new(), *c = udp_new();
    CHECK(s != NULL && c != NULL);
    CHECK_EQ(udp_bind(s, lo, PORT), ERR_OK);
    udp_recv(s, udp_echo, NULL);
    CHECK_EQ(udp_bind(c, lo, 0), ERR_OK);
    udp_recv(c, udp_reply, NULL);
    size_t sent = 0;
    for (int k = 0; k < DGRAMS; k++) {
        size_t len = k == DGRAMS - 1 ? 16000 : 1 + (size_t)k * 97 % 1472;
        struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
        CHECK(p != NULL);
        if (!p)
            break;
        for (size_t i = 0; i < len; i++)
            ((uint8_t *)p->payload)[i] = byte_at(len + i);
        dgram.want = len;
        dgram.done = 0;
        CHECK_EQ(udp_sendto(c, p, lo, PORT), ERR_OK);
        pbuf_free(p);
        sent += len;
        run_until(&dgram.done);
        CHECK(dgram.done);
    }
    printf("lwip_loop: udp: %d datagrams, %lu bytes back\n", DGRAMS, (uint64_t)dgram.got);
    CHECK(dgram.got == sent);
    CHECK(dgram.wrong == 0);
    udp_remove(s);
    udp_remove(c);
}

int main(void)
{
    lwip_init();
    mem_size_t heap0 = lwip_stats.mem.used;
    ip_addr_t lo;
    IP_ADDR4(&lo, 127, 0, 0, 1);

    tcp_part(&lo);
    udp_part(&lo);
    for (int i = 0; i < 16; i++)                /* the last ACKs still queued on the loopback */
        netif_poll_all();

    printf("lwip_loop: heap %u bytes in use (%u before, most %u), pool pbufs %u in use\n",
           (unsigned)lwip_stats.mem.used, (unsigned)heap0, (unsigned)lwip_stats.mem.max,
           (unsigned)lwip_stats.memp[MEMP_PBUF_POOL]->used);
    CHECK(lwip_stats.mem.used == heap0);
    CHECK(lwip_stats.mem.err == 0);
    CHECK(lwip_stats.memp[MEMP_PBUF_POOL]->used == 0);
    CHECK(lwip_stats.memp[MEMP_TCP_SEG]->err == 0);

    /* No NIC (capability -1): netif_add fails and leaves nothing behind. */
    static struct vnetif vn = {.nic = -1};
    struct netif nif;
    ip4_addr_t ip, mask, gw;
    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    CHECK(netif_add(&nif, &ip, &mask, &gw, &vn, vnetif_init, ethernet_input) == NULL);
    CHECK(vn.notify == -1 && vn.claim[0].ring.pages == -1 && vn.arp.pages == -1 && vn.dhcp.pages == -1);
    return check_done("lwip_loop");
}
