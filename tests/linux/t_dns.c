/* t_dns: name resolution by the program's own libc (musl here) through
 * what the POSIX libOS serves: /etc/hosts, /etc/resolv.conf and UDP
 * sockets to port 53.  Nothing leaves the machine: the DNS part forks a
 * tiny responder on 127.0.0.1:53 after pointing a temporary resolv.conf
 * at it (then puts the old file back).
 * Checks: localhost and the guest's own name from /etc/hosts; a numeric
 * address; the shipped resolv.conf names QEMU's resolver (Veneer only);
 * A answers through the responder, an A+AAAA lookup, NXDOMAIN as
 * EAI_NONAME, gethostbyname, and the responder saw the queries (the
 * answers did not come from elsewhere) but none for a hosts-file name.
 *
 * "t_dns serve" is the responder alone (for busybox nslookup in
 * busybox_net.sh): it prints "dns: ready" and answers until a "quit"
 * datagram.  On Linux the DNS part would rewrite the host's resolv.conf,
 * so it runs there only with T_DNS_REWRITE_RESOLV_CONF=1, best in a
 * namespace of its own:
 *   unshare -rnm sh -c 'ip link set lo up; cp /etc/resolv.conf /tmp/rc;
 *     mount --bind /tmp/rc /etc/resolv.conf; T_DNS_REWRITE_RESOLV_CONF=1 ./t_dns' */
#include "check.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static const struct { const char *name; const char *addr; } zone[] = {
    {"www.veneer.test", "10.1.2.3"},
    {"db.veneer.test", "10.1.2.4"},
    {"web.veneer.test", "127.0.0.1"},           /* busybox_net.sh: wget by a DNS name */
};

/* The question's name as dotted text; its end offset, or -1. */
static int qname(const unsigned char *q, int len, char *out, int size)
{
    int at = 12, n = 0;
    while (at < len && q[at]) {
        int l = q[at++];
        if (l > 63 || at + l > len || n + l + 2 > size)
            return -1;
        if (n)
            out[n++] = '.';
        memcpy(out + n, q + at, (size_t)l);
        n += l;
        at += l;
    }
    out[n] = 0;
    return at < len ? at + 1 : -1;
}

/* Answer one query in q (len bytes) into r; the reply's length, or -1. */
static int answer(const unsigned char *q, int len, unsigned char *r)
{
    char name[256];
    int end = qname(q, len, name, sizeof name);
    if (len < 12 || end < 0 || end + 4 > len)
        return -1;
    int type = q[end] << 8 | q[end + 1], known = -1;
    for (unsigned i = 0; i < sizeof zone / sizeof zone[0]; i++)
        if (!strcasecmp(name, zone[i].name))
            known = (int)i;
    memcpy(r, q, (size_t)end + 4);
    r[2] = 0x84 | (q[2] & 1);                   /* QR, AA, RD as asked */
    r[3] = known < 0 ? 0x83 : 0x80;             /* RA; NXDOMAIN for names we do not have */
    r[4] = 0, r[5] = 1;                         /* one question */
    memset(r + 6, 0, 6);
    int n = end + 4;
    if (known >= 0 && type == 1) {
        static const unsigned char rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
        memcpy(r + n, rr, sizeof rr);
        n += sizeof rr;
        inet_pton(AF_INET, zone[known].addr, r + n);
        n += 4;
        r[7] = 1;                               /* one answer */
    }
    return n;
}

/* Serve on 127.0.0.1:53 until "quit"; tells `ready` (if >= 0) when bound.
 * Returns the number of queries answered, or -1 if it cannot bind. */
static int serve(int ready)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0), count = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    if (ready >= 0) {
        write(ready, "r", 1);
        close(ready);
    } else {
        printf("dns: ready\n");
        fflush(stdout);
    }
    for (;;) {
        unsigned char q[512], r[600];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
        if (n == 4 && !memcmp(q, "quit", 4))
            break;
        int k = n > 0 ? answer(q, (int)n, r) : -1;
        if (k > 0 && sendto(s, r, (size_t)k, 0, (struct sockaddr *)&from, fl) == k)
            count++;
    }
    close(s);
    return count;
}

static void quit_responder(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(s, "quit", 4, 0, (struct sockaddr *)&a, sizeof a);
    close(s);
}

/* The first IPv4 address getaddrinfo gives for name (family: AF_INET or
 * AF_UNSPEC), as text in out; the getaddrinfo result. */
static int lookup(const char *name, int family, int flags, char *out)
{
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags}, *res, *p;
    int r = getaddrinfo(name, "80", &hints, &res);
    out[0] = 0;
    if (r != 0)
        return r;
    for (p = res; p; p = p->ai_next)
        if (p->ai_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)p->ai_addr)->sin_addr, out, INET_ADDRSTRLEN);
            break;
        }
    freeaddrinfo(res);
    return 0;
}

static char *slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return f ? buf : NULL;
}

static int spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void dns_part(void)
{
    char saved[4096], a[INET_ADDRSTRLEN];
    int p[2], st;
    if (!CHECK(slurp("/etc/resolv.conf", saved, sizeof saved) != NULL, "read /etc/resolv.conf"))
        return;
    CHECK(spit("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:2 attempts:3\n") == 0,
          "point resolv.conf at 127.0.0.1");
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        alarm(30);                  /* a lost "quit" fails the check below, not the whole run */
        int n = serve(p[1]);
        _exit(n < 0 ? 255 : n > 200 ? 200 : n);
    }
    close(p[1]);
    char c;
    if (CHECK(read(p[0], &c, 1) == 1, "responder bound 127.0.0.1:53")) {
        CHECK(lookup("www.veneer.test", AF_INET, 0, a) == 0 && !strcmp(a, "10.1.2.3"), "DNS A: www.veneer.test = %s",
              a);
        CHECK(lookup("db.veneer.test", AF_UNSPEC, 0, a) == 0 && !strcmp(a, "10.1.2.4"),
              "DNS A and AAAA: db.veneer.test = %s", a);
        int r = lookup("nothing.veneer.test", AF_INET, 0, a);
        CHECK(r == EAI_NONAME, "NXDOMAIN: EAI_NONAME (%d: %s)", r, gai_strerror(r));
        struct hostent *h = gethostbyname("www.veneer.test");
        CHECK(h && h->h_addrtype == AF_INET && !memcmp(h->h_addr_list[0], "\x0a\x01\x02\x03", 4),
              "gethostbyname through DNS");
        CHECK(lookup("localhost", AF_INET, 0, a) == 0 && !strcmp(a, "127.0.0.1"),
              "localhost still from /etc/hosts");
    }
    quit_responder();
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) >= 5 && WEXITSTATUS(st) <= 20,
          "the responder answered the queries (%d), none for localhost", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(p[0]);
    CHECK(spit("/etc/resolv.conf", saved) == 0, "resolv.conf put back");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "serve"))
        return serve(-1) < 0 ? 1 : 0;
    signal(SIGPIPE, SIG_IGN);
    struct utsname u;
    uname(&u);
    int veneer = strstr(u.release, "veneer") != NULL;
    char a[INET_ADDRSTRLEN], buf[4096];

    CHECK(lookup("localhost", AF_INET, 0, a) == 0 && !strcmp(a, "127.0.0.1"), "localhost = %s", a);
    CHECK(lookup(u.nodename, AF_INET, 0, a) == 0 && (!veneer || !strcmp(a, "10.0.2.15")), "own name %s = %s",
          u.nodename, a);
    CHECK(lookup("10.0.2.2", AF_INET, AI_NUMERICHOST, a) == 0 && !strcmp(a, "10.0.2.2"), "numeric 10.0.2.2");
    CHECK(lookup("no-such-host", AF_INET, AI_NUMERICHOST, a) == EAI_NONAME, "AI_NUMERICHOST of a name: EAI_NONAME");
    if (veneer) {
        CHECK(slurp("/etc/resolv.conf", buf, sizeof buf) && strstr(buf, "nameserver 10.0.2.3"),
              "resolv.conf names QEMU's resolver");
        CHECK(slurp("/etc/hosts", buf, sizeof buf) && strstr(buf, "localhost"), "/etc/hosts is there");
    }
    if (veneer || getenv("T_DNS_REWRITE_RESOLV_CONF"))
        dns_part();
    else
        say("DNS part skipped on Linux (it would rewrite /etc/resolv.conf): T_DNS_REWRITE_RESOLV_CONF=1 runs it");
    return check_done("t_dns");
}
