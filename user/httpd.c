/*
 * httpd: a web server as a specialized libOS, in the spirit of Cheetah on
 * Xok.  lwIP's raw API over vnetif (the NIC's packet filters; static
 * 10.0.2.15/24 behind QEMU's gateway 10.0.2.2, or an address from DHCP),
 * serving the boot archive's www/ files under / ("/" is www/index.html).
 * It claims only its port, UDP 7 and, as the first stack on the NIC (the
 * first boot environment) unless told not to, ICMP: another stack may
 * share the NIC and the address, owning other ports.
 *
 * Nothing is copied on the way out: each file's response header is built
 * once at start, and a response is three pieces handed to tcp_write
 * without TCP_WRITE_FLAG_COPY: that header, a constant Connection line and
 * the file's bytes in the archive's own pages.  lwIP keeps pointers to
 * them until the peer acknowledges the data; the archive stays mapped for
 * the program's life and the rest is static, so they always outlive it.
 *
 * HTTP/1.0 and 1.1: GET and HEAD; keep-alive (1.1's default, 1.0's when
 * asked for), requests on one connection answered in order; 404 for a
 * missing file, 400 for what does not parse, 501 for other methods.  Also
 * a UDP echo on port 7; lwIP answers pings.
 *
 * Usage: init=httpd[,more] [arg0=flags] [arg1=port]
 *   arg0 bit 0: GET /quit ends the server once its answer is acknowledged
 *               (tests: the kernel's leak check runs afterwards)
 *        bit 1: take the address from DHCP (falling back to the static one)
 *        bit 2: leave ICMP (answering pings) to another stack (a later boot
 *               environment leaves it anyway: pings are the first stack's)
 *        bit 3: own the NIC instead (Arrakis style): drive the first
 *               virtio-net device capability the program holds (one the
 *               kernel left alone: drv_skip=<bus:dev.fn>) with
 *               drivers/virtio_net in this program, lwIP on it through
 *               vnetif_own, no packet filter and no multiplexer; every
 *               frame and protocol on that NIC is ours (static address)
 *        bit 4: started by another libOS (the POSIX instance's init, by its
 *               boot config: lib/posix/weblog.c) rather than the kernel:
 *               the archive in slot 1 as usual, a disk extent of our own
 *               for the access log in rdx (httpd_log.c: one durable record
 *               per request answered) and the NIC in rcx
 *        bits 16-31: the TCP port to serve (0: 80)
 *   arg1: the host port QEMU forwards to it (only for the message)
 */
#include <vn.h>
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "vnet_dhcp.h"
#include "vnet_ping.h"
#include "vnetif.h"
#include "vnetif_own.h"
#include "home_user.h"
#include "virtio_net/virtio_net.h"
#include "httpd_log.h"

#define HTTP_PORT   80
#define ECHO_PORT   7
#define FLAG_QUIT   0x1
#define FLAG_DHCP   0x2
#define FLAG_NOICMP 0x4
#define FLAG_OWN    0x8
#define FLAG_CHILD  0x10
#define PORT_SHIFT  16
#define ICMP_RING   3                   /* pages: echo requests are few */
#define PING_WAIT_MS 1000               /* the gateway's answer to our ping at start */
#define CONNS       MEMP_NUM_TCP_PCB    /* every PCB lwIP has may be a connection */
#define REQ_MAX     2048                /* a request's line and headers */
#define FILES_MAX   64
#define HDR_MAX     192                 /* a precomputed status line and headers */
#define POLL_TICKS  2                   /* tcp_poll: every 2 coarse ticks (1 s) */
#define IDLE_POLLS  30                  /* an idle keep-alive connection is closed after 30 s */
#define QUIT_LINGER 200                 /* ms to run after /quit's answer, for the FIN */
#define ARCHIVE_DIR "www/"

/* ---- what is served: the docroot, and the answers that are not files */

struct resp {
    const char *hdr;            /* status line and headers but Connection */
    uint32_t hdr_len;
    const void *body;           /* in the archive, or static */
    uint64_t body_len;
};

static struct file {
    const char *name;           /* the archive's name, past ARCHIVE_DIR */
    struct resp r;
} files[FILES_MAX];
static unsigned nfiles;
static char hdr_space[(FILES_MAX + 5) * HDR_MAX];
static size_t hdr_used;

enum { R_NOT_FOUND, R_BAD, R_NOT_IMPL, R_QUIT, R_CANNED };
static struct resp canned[R_CANNED];
static const char *const canned_body[R_CANNED] = {
    "<html><body><h1>404 Not Found</h1></body></html>\n",
    "<html><body><h1>400 Bad Request</h1></body></html>\n",
    "<html><body><h1>501 Not Implemented</h1></body></html>\n",
    "bye\n",
};

static const char line_keep[] = "Connection: keep-alive\r\n\r\n";
static const char line_close[] = "Connection: close\r\n\r\n";

static const char *content_type(const char *name)
{
    static const char *const types[][2] = {
        {".html", "text/html"}, {".htm", "text/html"},       {".txt", "text/plain"},
        {".css", "text/css"},   {".js", "text/javascript"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".svg", "image/svg+xml"},  {".json", "application/json"},
    };
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t k = strlen(types[i][0]);
        if (n >= k && strcmp(name + n - k, types[i][0]) == 0)
            return types[i][1];
    }
    return "application/octet-stream";
}

/* A response whose header is built at h (HDR_MAX bytes). */
static struct resp make_resp_at(char *h, const char *status, const char *type, const void *body, uint64_t len)
{
    int n = snprintf(h, HDR_MAX, "HTTP/1.1 %s\r\nServer: Veneer httpd\r\nContent-Type: %s\r\nContent-Length: %lu\r\n",
                     status, type, len);
    return (struct resp){.hdr = h, .hdr_len = (uint32_t)LWIP_MIN(n, HDR_MAX - 1), .body = body, .body_len = len};
}

/* The same, with the header in hdr_space (sized for every file and the
 * canned answers, so this cannot run out). */
static struct resp make_resp(const char *status, const char *type, const void *body, uint64_t len)
{
    struct resp r = make_resp_at(hdr_space + hdr_used, status, type, body, len);
    hdr_used += r.hdr_len;
    return r;
}

/* The archive's www/ files, each with its header.  Returns how many. */
static unsigned docroot_load(void)
{
    static const char *const status[R_CANNED] = {"404 Not Found", "400 Bad Request", "501 Not Implemented",
                                                 "200 OK"};
    for (int i = 0; i < R_CANNED; i++)
        canned[i] = make_resp(status[i], i == R_QUIT ? "text/plain" : "text/html", canned_body[i],
                              strlen(canned_body[i]));
    const char *name;
    for (uint64_t i = 0; (name = vn_archive_name(i)) != NULL && nfiles < FILES_MAX; i++) {
        uint64_t size;
        if (strncmp(name, ARCHIVE_DIR, strlen(ARCHIVE_DIR)) != 0)
            continue;
        const void *data = vn_archive_find(name, &size);
        name += strlen(ARCHIVE_DIR);
        files[nfiles++] = (struct file){.name = name, .r = make_resp("200 OK", content_type(name), data, size)};
    }
    return nfiles;
}

/* The file at URL path p (len bytes, after the '/'), or NULL. */
static const struct resp *docroot_find(const char *p, size_t len)
{
    if (len == 0)
        p = "index.html", len = strlen(p);
    for (unsigned i = 0; i < nfiles; i++)
        if (strlen(files[i].name) == len && memcmp(files[i].name, p, len) == 0)
            return &files[i].r;
    return NULL;
}

/* ---- connections */

struct conn {
    struct tcp_pcb *pcb;        /* NULL: free */
    struct pbuf *in;            /* received, not yet moved into req (nor tcp_recved) */
    uint32_t req_len;
    const void *piece[3];       /* the answer being written: header, Connection, body */
    uint64_t piece_len[3];
    unsigned cur;
    uint64_t off;               /* written of piece[cur] */
    bool answering;             /* pieces not all written yet */
    bool keep;                  /* keep the connection after this answer */
    bool peer_fin;              /* the peer closed its side */
    bool quit;                  /* this answer ends the server */
    bool copy;                  /* this answer's header and body are /stats's buffers: TCP copies them */
    unsigned idle;              /* polls without progress */
    struct conn *next_free;
    char req[REQ_MAX];
};

static struct conn conns[CONNS];
static struct conn *conn_free_list;

static struct {
    uint64_t accepted, refused, open, max_open, idle_closed;
    uint64_t requests, ok, not_found, bad, not_impl;
    uint64_t body_bytes;        /* handed to TCP */
    uint64_t write_full;        /* tcp_write said ERR_MEM: resumed on an ACK or a poll */
    uint64_t echoes;
} st;

static struct vnetif_port ports[] = {{6, HTTP_PORT, 0}, {17, ECHO_PORT, 0}};
static const struct vnetif_port icmp[] = {{1, 0, 0}};
static struct vnetif vn = {.ports = ports, .nports = 2, .ring_pages = VN_RING_PAGES_MAX};
static struct netif nif;
static char stats_hdr[HDR_MAX], stats_body[1024];     /* GET /stats: copied into TCP's buffers */
static struct vnetif_own own;   /* arg0 & FLAG_OWN: the NIC is ours ... */
static struct drv_dev *own_dev; /* ... driven here */
static bool owned;
static bool quit_allowed;       /* arg0 & FLAG_QUIT */
static bool logging;            /* the access log is open (FLAG_CHILD with an extent) */
static bool quitting;           /* /quit's answer is acknowledged (or its connection gone) */
static uint64_t quit_at;        /* ns: since when */

static struct conn *conn_alloc(void)
{
    struct conn *c = conn_free_list;
    if (c) {
        conn_free_list = c->next_free;
        *c = (struct conn){0};
        if (++st.open > st.max_open)
            st.max_open = st.open;
    }
    return c;
}

static void conn_free(struct conn *c)
{
    if (c->quit && !quitting) {
        quitting = true;
        quit_at = vn_clock_ns();
    }
    if (c->in)
        pbuf_free(c->in);
    c->in = NULL;
    c->pcb = NULL;
    c->next_free = conn_free_list;
    conn_free_list = c;
    st.open--;
}

/* Close c's connection and free c: what lwIP still has queued is sent
 * before the FIN.  Unread input is acknowledged first, or lwIP would
 * answer the close with a reset. */
static void conn_close(struct conn *c)
{
    struct tcp_pcb *pcb = c->pcb;
    if (c->in)
        tcp_recved(pcb, c->in->tot_len);
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    if (tcp_close(pcb) != ERR_OK)
        tcp_abort(pcb);         /* no memory for the FIN: a reset instead */
    conn_free(c);
}

/* Move received bytes into req, as far as it has room (acknowledging
 * them to TCP opens the window again). */
static void conn_take(struct conn *c)
{
    while (c->in && c->req_len < REQ_MAX) {
        u16_t n = pbuf_copy_partial(c->in, c->req + c->req_len, (u16_t)LWIP_MIN(REQ_MAX - c->req_len, 0xffff), 0);
        c->req_len += n;
        tcp_recved(c->pcb, n);
        c->in = pbuf_free_header(c->in, n);
    }
}

/* The first ch in s[0..n), or NULL. */
static const char *find(const char *s, int ch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == ch)
            return s + i;
    return NULL;
}

/* Case-insensitive: does s (n bytes) start with word? */
static bool starts_with(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char a = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        if (a != word[i])
            return false;
    }
    return true;
}

/* Case-insensitive: does s (n bytes) contain word? */
static bool contains(const char *s, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (starts_with(s + i, n - i, word))
            return true;
    return false;
}

/* Does the number at s (after blanks) differ from 0? */
static bool nonzero(const char *s, size_t n)
{
    for (size_t i = 0; i < n && (s[i] == ' ' || s[i] == '\t' || (s[i] >= '0' && s[i] <= '9')); i++)
        if (s[i] > '0' && s[i] <= '9')
            return true;
    return false;
}

/* The end of the request's headers in req (just past the empty line), or 0. */
static size_t request_end(const struct conn *c)
{
    for (size_t i = 0; i + 1 < c->req_len; i++) {
        if (c->req[i] != '\n')
            continue;
        if (c->req[i + 1] == '\n')
            return i + 2;
        if (c->req[i + 1] == '\r' && i + 2 < c->req_len && c->req[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The counters, as lines that each begin with prefix. */
static size_t stats_format(char *b, size_t n, const char *prefix)
{
    struct vn_netinfo ni = {0};
    const struct stats_mem *pool = lwip_stats.memp[MEMP_PBUF_POOL];
    size_t k = 0;
    if (owned) {
        k += (size_t)snprintf(b + k, n - k, "%s%lu connections (most %lu at once, %lu refused, %lu idle closed); "
                              "%lu requests: %lu ok, %lu not found, %lu bad, %lu not implemented; %lu body bytes; "
                              "%lu UDP echoes\n", prefix, st.accepted, st.max_open, st.refused, st.idle_closed,
                              st.requests, st.ok, st.not_found, st.bad, st.not_impl, st.body_bytes, st.echoes);
        k += (size_t)snprintf(b + k, LWIP_MAX(n, k) - k, "%sour own NIC: %lu frames in, %lu out (%lu completed), "
                              "%lu dropped before lwIP, tx %lu waits, %lu lost\n", prefix, own.nd->rx_frames,
                              own.nd->tx_frames, own.nd->tx_done, own.rx_dropped, own.tx_again, own.tx_lost);
        return LWIP_MIN(k, n - 1);
    }
    vn_net_info(vn.nic, &ni);
    k += (size_t)snprintf(b + k, n - k, "%s%lu connections (most %lu at once, %lu refused, %lu idle closed); "
                          "%lu requests: %lu ok, %lu not found, %lu bad, %lu not implemented; %lu body bytes; "
                          "%lu UDP echoes\n", prefix, st.accepted, st.max_open, st.refused, st.idle_closed,
                          st.requests, st.ok, st.not_found, st.bad, st.not_impl, st.body_bytes, st.echoes);
    k += (size_t)snprintf(b + k, LWIP_MAX(n, k) - k, "%sring drops %lu (frames the kernel found our rings full for); "
                          "tx %lu waits for the device, %lu lost; tcp_write full %lu; lwIP: tcp drops %u, "
                          "memerr %u; pool pbufs most %u of %u (%u failed); heap most %u of %u\n",
                          prefix, vnetif_rx_dropped(&vn), vn.tx_again, vn.tx_lost, st.write_full,
                          (unsigned)lwip_stats.tcp.drop, (unsigned)lwip_stats.tcp.memerr, (unsigned)pool->max,
                          (unsigned)pool->avail, (unsigned)pool->err, (unsigned)lwip_stats.mem.max,
                          (unsigned)lwip_stats.mem.avail);
    k += (size_t)snprintf(b + k, LWIP_MAX(n, k) - k, "%sNIC: %lu frames in, %lu out, %lu unclaimed, "
                          "%lu dropped at full rings, %lu refused\n", prefix, ni.rx_frames, ni.tx_frames,
                          ni.rx_unclaimed, ni.rx_dropped, ni.tx_refused);
    return LWIP_MIN(k, n - 1);
}

/* Turn the request in req[0..end) into the answer's pieces, and drop it
 * from req. */
static void request_answer(struct conn *c, size_t end)
{
    const char *r = c->req, *line_end = find(r, '\n', end);
    size_t line = line_end ? (size_t)(line_end - r) : 0;    /* none: end is 0, the headers too long */
    const char *sp1 = find(r, ' ', line);
    const char *sp2 = sp1 ? find(sp1 + 1, ' ', line - (size_t)(sp1 + 1 - r)) : NULL;
    const struct resp *a;
    struct resp stats;
    bool head = false, keep = false, body = false;
    c->copy = false;
    st.requests++;
    if (!sp1 || !sp2 || sp1[1] != '/' || !starts_with(sp2 + 1, (size_t)(line_end - sp2 - 1), "http/1.")) {
        a = &canned[R_BAD];
        st.bad++;
    } else {
        keep = sp2[8] != '0';               /* HTTP/1.1 and later: keep-alive unless told */
        for (const char *h = line_end + 1; h < r + end;) {     /* the headers that matter */
            const char *e = find(h, '\n', (size_t)(r + end - h));
            size_t n = (size_t)(e - h);
            if (starts_with(h, n, "connection:")) {
                if (contains(h, n, "close"))
                    keep = false;
                else if (contains(h, n, "keep-alive"))
                    keep = true;
            } else if (starts_with(h, n, "transfer-encoding:") ||
                       (starts_with(h, n, "content-length:") && nonzero(h + 15, n - 15))) {
                body = true;    /* a body we do not read: answer, then close */
            }
            h = e + 1;
        }
        const char *path = sp1 + 2;
        size_t plen = (size_t)(sp2 - path);
        for (size_t i = 0; i < plen; i++)
            if (path[i] == '?' || path[i] == '#')
                plen = i;
        head = sp1 - r == 4 && memcmp(r, "HEAD", 4) == 0;
        if (!head && !(sp1 - r == 3 && memcmp(r, "GET", 3) == 0)) {
            a = &canned[R_NOT_IMPL];
            st.not_impl++;
        } else if (quit_allowed && plen == 4 && memcmp(path, "quit", 4) == 0) {
            a = &canned[R_QUIT];
            c->quit = true;
        } else if (plen == 5 && memcmp(path, "stats", 5) == 0) {
            size_t len = stats_format(stats_body, sizeof(stats_body), "");
            stats = make_resp_at(stats_hdr, "200 OK", "text/plain", stats_body, len);
            a = &stats;
            c->copy = true;
            st.ok++;
        } else if ((a = docroot_find(path, plen)) != NULL) {
            st.ok++;
        } else {
            a = &canned[R_NOT_FOUND];
            st.not_found++;
        }
    }
    if (logging) {
        int code = a == &canned[R_BAD] ? 400 : a == &canned[R_NOT_IMPL] ? 501 : a == &canned[R_NOT_FOUND] ? 404 : 200;
        int method = a == &canned[R_BAD] ? 0 : head ? 2 : sp1 - r == 3 && memcmp(r, "GET", 3) == 0 ? 1 : 0;
        size_t plen = a == &canned[R_BAD] ? 0 : (size_t)(sp2 - sp1 - 1);
        long lr = httpd_log_append(ip4_addr_get_u32(&c->pcb->remote_ip), method, plen ? sp1 + 1 : "", plen, code,
                                   head ? 0 : a->body_len);
        if (lr < 0) {
            printf("httpd: log: append failed (%s): no more logging\n", vn_strerror(lr));
            logging = false;
        }
    }
    if (a == &canned[R_BAD] || a == &canned[R_NOT_IMPL] || body || c->quit)
        keep = false;
    c->keep = keep;
    c->piece[0] = a->hdr;
    c->piece_len[0] = a->hdr_len;
    c->piece[1] = keep ? line_keep : line_close;
    c->piece_len[1] = keep ? sizeof(line_keep) - 1 : sizeof(line_close) - 1;
    c->piece[2] = a->body;
    c->piece_len[2] = head ? 0 : a->body_len;
    c->cur = 0;
    c->off = 0;
    c->answering = true;
    memmove(c->req, c->req + end, c->req_len - end);
    c->req_len -= (uint32_t)end;
}

/* Hand TCP as much of the answer as its send buffer and queue take, by
 * reference.  Returns true once every piece is written. */
static bool answer_push(struct conn *c)
{
    while (c->cur < 3) {
        uint64_t left = c->piece_len[c->cur] - c->off;
        if (left == 0) {
            c->cur++;
            c->off = 0;
            continue;
        }
        u16_t n = (u16_t)LWIP_MIN(left, tcp_sndbuf(c->pcb));
        if (n == 0)
            return false;
        bool more = n < left || c->cur == 0 || (c->cur == 1 && c->piece_len[2] > 0);
        u8_t fl = (more ? TCP_WRITE_FLAG_MORE : 0) | (c->copy && c->cur != 1 ? TCP_WRITE_FLAG_COPY : 0);
        err_t e = tcp_write(c->pcb, (const uint8_t *)c->piece[c->cur] + c->off, n, fl);
        if (e != ERR_OK) {      /* ERR_MEM: the queue or lwIP's pools are full; an ACK or a poll resumes */
            st.write_full++;
            return false;
        }
        c->off += n;
        if (c->cur == 2)
            st.body_bytes += n;
    }
    return true;
}

/* Make what progress c allows: write the answer under way; once it is
 * written, close (no keep-alive) or take the next request. */
static void conn_run(struct conn *c)
{
    for (;;) {
        if (c->answering) {
            if (!answer_push(c))
                break;
            c->answering = false;
            if (c->quit)        /* closed once acknowledged (http_sent) */
                break;
            if (!c->keep) {
                tcp_output(c->pcb);
                conn_close(c);
                return;
            }
        }
        conn_take(c);
        size_t end = request_end(c);
        if (end) {
            request_answer(c, end);
        } else if (c->req_len == REQ_MAX) {
            c->req_len = 0;     /* headers too long: refuse, then close */
            request_answer(c, 0);
        } else if (c->peer_fin) {
            conn_close(c);
            return;
        } else {
            break;
        }
    }
    tcp_output(c->pcb);
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    (void)pcb, (void)err;
    if (!p)
        c->peer_fin = true;
    else if (c->in)
        pbuf_cat(c->in, p);
    else
        c->in = p;
    c->idle = 0;
    if (!c->answering)
        conn_run(c);
    return ERR_OK;
}

static err_t http_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct conn *c = arg;
    (void)len;
    c->idle = 0;
    if (c->quit && !c->answering) {
        if (tcp_sndqueuelen(pcb) == 0)      /* /quit's answer is acknowledged */
            conn_close(c);
        return ERR_OK;
    }
    conn_run(c);
    return ERR_OK;
}

/* Every POLL_TICKS: resume a write that found lwIP's memory full, close
 * an idle keep-alive connection. */
static err_t http_poll(void *arg, struct tcp_pcb *pcb)
{
    struct conn *c = arg;
    (void)pcb;
    if (c->answering) {
        conn_run(c);
    } else if (++c->idle >= IDLE_POLLS && !c->quit) {
        st.idle_closed++;
        conn_close(c);
    }
    return ERR_OK;
}

/* The PCB is gone already (reset by the peer, or aborted). */
static void http_err(void *arg, err_t err)
{
    (void)err;
    if (arg)
        conn_free(arg);
}

static err_t http_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    struct conn *c = err == ERR_OK && pcb ? conn_alloc() : NULL;
    if (!c) {
        st.refused++;
        if (pcb)
            tcp_abort(pcb);
        return ERR_ABRT;
    }
    st.accepted++;
    c->pcb = pcb;
    tcp_arg(pcb, c);
    tcp_recv(pcb, http_recv);
    tcp_sent(pcb, http_sent);
    tcp_err(pcb, http_err);
    tcp_poll(pcb, http_poll, POLL_TICKS);
    tcp_nagle_disable(pcb);     /* a response's last segment goes at once; MORE marks the rest */
    return ERR_OK;
}

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    if (udp_sendto(pcb, p, addr, port) == ERR_OK)
        st.echoes++;
    pbuf_free(p);
}

/* FLAG_OWN: take the virtio-net device, probe it with the driver in this
 * program and put lwIP on it.  Returns false (with a message) if any of
 * it fails. */
static bool own_nic(const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw)
{
    static const struct drv_driver *const drivers[] = {&virtio_net_driver};
    capref_t dev = uhome_find(virtio_net_driver.vendor, virtio_net_driver.device, 0);
    int r = dev < 0 ? dev : uhome_init();
    if (r == 0)
        r = uhome_attach(dev, drivers, 1, &own_dev);
    if (r < 0 || !(own.nd = netdev_find(0))) {
        printf("httpd: no NIC of our own (%s): boot with a virtio-net device and drv_skip=<its address>\n",
               vn_strerror(r));
        return false;
    }
    if (!netif_add(&nif, ip, mask, gw, &own, vnetif_own_init, ethernet_input)) {
        printf("httpd: our NIC did not come up\n");
        return false;
    }
    owned = true;
    netif_set_default(&nif);
    netif_set_up(&nif);
    return true;
}

/* The kernel's NIC, through packet filters (vnetif): the static address
 * or DHCP's, our port checked, ICMP claimed if we are the first stack.
 * Returns false (with a message) if the NIC refused. */
static bool filter_nic(uint64_t flags, uint16_t port, bool dhcp, ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw,
                       struct vnet_ifconfig *cfg)
{
    if (!netif_add(&nif, dhcp ? IP4_ADDR_ANY4 : ip, dhcp ? IP4_ADDR_ANY4 : mask, dhcp ? IP4_ADDR_ANY4 : gw, &vn,
                   vnetif_init, ethernet_input)) {
        printf("httpd: the NIC refused our filters (port %u taken?)\n", port);
        return false;
    }
    netif_set_default(&nif);
    netif_set_up(&nif);         /* with the link up: a gratuitous ARP */
    if (dhcp)
        vnet_dhcp_acquire(&nif, VNET_DHCP_WAIT_MS, ip, mask, gw, cfg);
    else
        vnet_ifconfig_get(&nif, cfg);
    if (!vnetif_owns(&nif, 6, port)) {
        printf("httpd: port %u is another stack's\n", port);
        vnetif_close(&nif);
        return false;
    }
    struct vn_capinfo ci;       /* pings are the first stack's: the first boot environment's CAP_NET */
    bool first = vn_cap_info(vn.nic, &ci) >= 0 && (ci.rights & CR_CONTROL);
    long ic = (flags & FLAG_NOICMP) || !first ? -E_PERM : vnetif_claim(&nif, icmp, 1, ICMP_RING);
    char conf[96];
    vnet_ifconfig_format(cfg, conf, sizeof(conf));
    printf("httpd: %s; ICMP %s\n", conf, ic >= 0 ? "ours (we answer pings)"
                                      : ic == -E_EXIST ? "another stack's" : "left to another stack");
    if (ic >= 0 && !ip4_addr_isany_val(cfg->gw)) {  /* the path of pings, once: the gateway's answer reaches us */
        long us = vnet_ping(&nif, &cfg->gw, PING_WAIT_MS);
        if (us >= 0)
            printf("httpd: the gateway answered our ping in %ld us\n", us);
        else
            printf("httpd: no answer to our ping of the gateway (%s)\n", vn_strerror((int)us));
    }
    return true;
}

int main(uint64_t flags, uint64_t host_port, uint64_t logext, uint64_t child_nic)
{
    ip4_addr_t ip, mask, gw;
    struct vnet_ifconfig cfg;
    uint16_t port = (uint16_t)(flags >> PORT_SHIFT) ? (uint16_t)(flags >> PORT_SHIFT) : HTTP_PORT;
    quit_allowed = flags & FLAG_QUIT;
    if (!(flags & (FLAG_OWN | FLAG_CHILD)) && vn_envinfo->net_cap < 0) {
        printf("httpd: no NIC (boot QEMU with a virtio-net device: make run-net)\n");
        return 1;
    }
    vn.nic = flags & FLAG_CHILD ? (capref_t)child_nic : (capref_t)vn_envinfo->net_cap;
    if ((flags & FLAG_CHILD) && logext) {
        long lr = httpd_log_open((capref_t)logext);
        if (lr < 0)
            printf("httpd: log: cannot open it (%s): serving without\n", vn_strerror(lr));
        logging = lr >= 0;
    }
    ports[0].port = port;
    if (docroot_load() == 0)
        printf("httpd: no %s files in the boot archive\n", ARCHIVE_DIR);
    for (unsigned i = 0; i < CONNS; i++)
        conns[i].next_free = i + 1 < CONNS ? &conns[i + 1] : NULL;
    conn_free_list = &conns[0];

    lwip_init();
    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    bool dhcp = flags & FLAG_DHCP;
    if (flags & FLAG_OWN) {
        if (!own_nic(&ip, &mask, &gw))
            return 1;
        vnet_ifconfig_get(&nif, &cfg);
        char conf[96];
        vnet_ifconfig_format(&cfg, conf, sizeof(conf));
        printf("httpd: %s on our own NIC: every frame is ours, ICMP too\n", conf);
    } else if (!filter_nic(flags, port, dhcp, &ip, &mask, &gw, &cfg)) {
        return 1;
    }
    struct tcp_pcb *l = tcp_new();
    struct udp_pcb *u = udp_new();
    if (!l || tcp_bind(l, IP_ADDR_ANY, port) != ERR_OK || !(l = tcp_listen(l)) || !u ||
        udp_bind(u, IP_ADDR_ANY, ECHO_PORT) != ERR_OK) {
        printf("httpd: cannot listen\n");
        return 1;
    }
    tcp_accept(l, http_accept);
    udp_recv(u, udp_echo, NULL);
    const uint8_t *m = nif.hwaddr;
    printf("httpd: %u files from the archive's %s; %s (%02x:%02x:%02x:%02x:%02x:%02x) port %u, "
           "UDP echo on %u%s\n", nfiles, ARCHIVE_DIR, ip4addr_ntoa(&cfg.ip), m[0], m[1], m[2], m[3], m[4], m[5], port,
           ECHO_PORT, quit_allowed ? ", GET /quit ends" : "");
    if (host_port)
        printf("httpd: open http://127.0.0.1:%lu/ on the host\n", host_port);
    printf("httpd: ready\n");

    while (!quitting || vn_clock_ns() - quit_at < QUIT_LINGER * 1000000ul) {
        owned ? vnetif_own_poll(&nif) : vnetif_poll(&nif);
        sys_check_timeouts();
        owned ? vnetif_own_wait(&nif) : vnetif_wait(&nif);
    }

    for (unsigned i = 0; i < CONNS; i++)    /* connections still open: reset */
        if (conns[i].pcb)
            tcp_abort(conns[i].pcb);
    tcp_close(l);
    udp_remove(u);
    stats_format(stats_body, sizeof(stats_body), "httpd: ");
    printf("%s", stats_body);
    if (owned) {
        vnetif_own_close(&nif);
        uhome_detach(own_dev);
    } else {
        vnetif_close(&nif);
    }
    printf("httpd: quit\n");
    return 0;
}
