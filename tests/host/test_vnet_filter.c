/*
 * Host unit test of the filter programs vnetif installs
 * (lib/lwip_port/vnet_filter.c), run by a reference interpreter of
 * <veneer/net.h>'s rules (a verifier of the program's shape, then CMP /
 * ACCEPT / REJECT over the frame's first VN_PF_MAX_OFF bytes, zeros past
 * its end): hand-made frames that must pass or not, every port count up
 * to VNETIF_PORTS_MAX, aligned port ranges, DHCP's replies, and random
 * frames against plain C predicates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/lwip_port/include/vnet_filter.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

#define IP     0x0a00020fu      /* 10.0.2.15 */
#define OTHER  0x0a000210u

/* The shape net.h asks for: at most VN_PF_MAX_INSNS, forward jumps within
 * the program, sizes 1/2/4, loads within VN_PF_MAX_OFF, masks non-zero and
 * within size, values within the mask, padding zero, ending in REJECT. */
static int verify(const struct vn_pf_insn *p, size_t n)
{
    if (n == 0 || n > VN_PF_MAX_INSNS || p[n - 1].op != VN_PF_REJECT)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].pad)
            return 0;
        if (p[i].op == VN_PF_ACCEPT || p[i].op == VN_PF_REJECT)
            continue;
        if (p[i].op != VN_PF_CMP || (p[i].size != 1 && p[i].size != 2 && p[i].size != 4))
            return 0;
        uint64_t lim = p[i].size == 4 ? 0xffffffffull : (1ull << (8 * p[i].size)) - 1;
        if (p[i].fail <= i || p[i].fail >= n || p[i].off + p[i].size > VN_PF_MAX_OFF || !p[i].mask ||
            p[i].mask > lim || (p[i].val & ~p[i].mask))
            return 0;
    }
    return 1;
}

static int run(const struct vn_pf_insn *p, size_t n, const uint8_t *frame, size_t len)
{
    uint8_t f[VN_PF_MAX_OFF] = {0};
    memcpy(f, frame, len < sizeof(f) ? len : sizeof(f));
    for (size_t pc = 0; pc < n;) {
        const struct vn_pf_insn *i = &p[pc];
        if (i->op == VN_PF_ACCEPT)
            return 1;
        if (i->op == VN_PF_REJECT)
            return 0;
        uint32_t v = 0;
        for (unsigned b = 0; b < i->size; b++)
            v = v << 8 | f[i->off + b];
        pc = (v & i->mask) == i->val ? pc + 1 : i->fail;
    }
    return 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, (uint16_t)v); }

/* A 60-byte IPv4 frame: proto to dst:dport, no options, not fragmented. */
static size_t ip_frame(uint8_t *f, uint8_t proto, uint32_t dst, uint16_t dport)
{
    memset(f, 0, 60);
    memset(f, 0x52, 12);
    put16(f + 12, 0x0800);
    f[14] = 0x45;
    f[15] = 0x10;                       /* TOS: ignored */
    put16(f + 16, 46);
    put16(f + 20, 0x4000);              /* DF */
    f[22] = 64;
    f[23] = proto;
    put32(f + 26, 0x0a000202);
    put32(f + 30, dst);
    put16(f + 34, 40000);
    put16(f + 36, dport);
    return 60;
}

static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t tpa)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, op);
    put32(f + 28, 0x0a000202);
    put32(f + 38, tpa);
    return 42;                          /* unpadded: the rest reads as zeros */
}

/* What the IPv4 program means, in C. */
static int want_ip(const uint8_t *f, const struct vnetif_port *ports, unsigned n)
{
    if (f[12] != 0x08 || f[13] != 0x00 || f[14] != 0x45 || ((f[20] << 8 | f[21]) & 0x1fff) ||
        ((uint32_t)f[30] << 24 | (uint32_t)f[31] << 16 | (uint32_t)f[32] << 8 | f[33]) != IP)
        return 0;
    unsigned dport = (unsigned)(f[36] << 8 | f[37]);
    for (unsigned i = 0; i < n; i++) {
        unsigned lo = ports[i].port, count = ports[i].count ? ports[i].count : 1;
        if (f[23] == ports[i].proto && (ports[i].proto == 1 || (lo == 0 && ports[i].count == 0) ||
                                        (dport >= lo && dport < lo + count)))
            return 1;
    }
    return 0;
}

/* What the DHCP program means: IPv4 without options, first fragment, UDP
 * from port 67 to port 68, any addresses. */
static int want_dhcp(const uint8_t *f)
{
    return f[12] == 0x08 && f[13] == 0x00 && f[14] == 0x45 && !((f[20] << 8 | f[21]) & 0x1fff) && f[23] == 17 &&
           (f[34] << 8 | f[35]) == 67 && (f[36] << 8 | f[37]) == 68;
}

int main(void)
{
    struct vn_pf_insn prog[VN_PF_MAX_INSNS];
    uint8_t f[VN_PF_MAX_OFF];
    const struct vnetif_port ports[VNETIF_PORTS_MAX] = {{6, 80, 0}, {17, 68, 0}, {1, 0, 0}, {6, 443, 0}, {17, 53, 0}, {6, 7, 0}};

    /* No ports: a lone REJECT. */
    size_t n = vnet_filter_ip(prog, IP, ports, 0);
    CHECK(n == 1 && verify(prog, n));
    CHECK(!run(prog, n, f, ip_frame(f, 6, IP, 80)));

    /* Every prefix of the port list, up to the most that fit. */
    for (unsigned np = 1; np <= VNETIF_PORTS_MAX; np++) {
        n = vnet_filter_ip(prog, IP, ports, np);
        CHECK(verify(prog, n));
        for (unsigned i = 0; i < VNETIF_PORTS_MAX; i++) {
            int listed = i < np;
            CHECK(run(prog, n, f, ip_frame(f, ports[i].proto, IP, ports[i].port)) == listed);
            CHECK(!run(prog, n, f, ip_frame(f, ports[i].proto, OTHER, ports[i].port)));
        }
    }
    n = vnet_filter_ip(prog, IP, ports, VNETIF_PORTS_MAX);
    CHECK(!run(prog, n, f, ip_frame(f, 6, IP, 81)));          /* another port */
    CHECK(!run(prog, n, f, ip_frame(f, 17, IP, 80)));         /* the port, but UDP */
    CHECK(run(prog, n, f, ip_frame(f, 1, IP, 1234)));         /* ICMP: any "port" */
    /* Port 0: every port of that protocol, and nothing else. */
    const struct vnetif_port every[2] = {{6, 0, 0}, {17, 0, 0}};
    size_t ne = vnet_filter_ip(prog, IP, every, 2);
    CHECK(ne == 9);
    for (uint32_t port = 0; port < 65536; port += 257) {
        CHECK(run(prog, ne, f, ip_frame(f, 6, IP, (uint16_t)port)));
        CHECK(run(prog, ne, f, ip_frame(f, 17, IP, (uint16_t)port)));
        CHECK(!run(prog, ne, f, ip_frame(f, 6, OTHER, (uint16_t)port)));
    }
    CHECK(!run(prog, ne, f, ip_frame(f, 1, IP, 0)));          /* ICMP was not asked for */
    n = vnet_filter_ip(prog, IP, ports, VNETIF_PORTS_MAX);
    ip_frame(f, 6, IP, 80);
    f[14] = 0x46;                                             /* IP options: port elsewhere */
    CHECK(!run(prog, n, f, 60));
    ip_frame(f, 6, IP, 80);
    put16(f + 20, 0x2000);                                    /* first fragment (MF) */
    CHECK(run(prog, n, f, 60));
    put16(f + 20, 0x00b9);                                    /* a later fragment */
    CHECK(!run(prog, n, f, 60));
    ip_frame(f, 6, IP, 80);
    put16(f + 12, 0x86dd);                                    /* IPv6 */
    CHECK(!run(prog, n, f, 60));
    CHECK(!run(prog, n, f, arp_frame(f, 1, IP)));
    CHECK(!run(prog, n, f, 14));                              /* short: zeros */

    /* ARP asking for (or answering to) the address, nothing else. */
    n = vnet_filter_arp(prog, IP);
    CHECK(verify(prog, n));
    CHECK(run(prog, n, f, arp_frame(f, 1, IP)));
    CHECK(run(prog, n, f, arp_frame(f, 2, IP)));
    CHECK(!run(prog, n, f, arp_frame(f, 1, OTHER)));
    CHECK(!run(prog, n, f, ip_frame(f, 6, IP, 80)));

    /* Aligned ranges: exactly their ports, and vnet_port_covers agrees. */
    const struct vnetif_port ranges[3] = {{6, 0xc000, 0x1000}, {17, 0xc000, 0x1000}, {6, 8080, 16}};
    n = vnet_filter_ip(prog, IP, ranges, 3);
    CHECK(n == 16 && verify(prog, n));
    for (uint32_t port = 0; port < 65536; port++) {
        for (unsigned i = 0; i < 2; i++) {
            uint8_t proto = i ? 17 : 6;
            int in = (port >= 0xc000 && port < 0xd000) || (proto == 6 && port >= 8080 && port < 8096);
            CHECK(run(prog, n, f, ip_frame(f, proto, IP, (uint16_t)port)) == in);
            int covered = 0;
            for (unsigned k = 0; k < 3; k++)
                covered |= vnet_port_covers(&ranges[k], proto, (uint16_t)port);
            CHECK(covered == in);
        }
    }
    CHECK(!run(prog, n, f, ip_frame(f, 6, OTHER, 0xc123)));
    CHECK(vnet_port_covers(&ports[2], 1, 9) && !vnet_port_covers(&ports[0], 6, 81) && vnet_port_covers(&every[0], 6, 1));

    /* DHCP: server to client, any destination (broadcast replies), nothing else. */
    n = vnet_filter_dhcp(prog);
    CHECK(verify(prog, n));
    ip_frame(f, 17, 0xffffffffu, 68);
    put16(f + 34, 67);
    CHECK(run(prog, n, f, 60));
    put32(f + 30, IP);
    CHECK(run(prog, n, f, 60));
    put16(f + 34, 68);                                        /* client to client */
    CHECK(!run(prog, n, f, 60));
    put16(f + 34, 67);
    put16(f + 36, 67);                                        /* to a server */
    CHECK(!run(prog, n, f, 60));
    put16(f + 36, 68);
    f[23] = 6;                                                /* TCP between those ports */
    CHECK(!run(prog, n, f, 60));
    f[23] = 17;
    put16(f + 20, 0x0010);                                    /* a later fragment */
    CHECK(!run(prog, n, f, 60));
    unsigned dhcp_ok = 0;
    for (int t = 0; t < 100000; t++) {
        ip_frame(f, 17, rand() % 2 ? 0xffffffffu : IP, 68);
        put16(f + 34, 67);
        for (int k = rand() % 3; k > 0; k--) {
            static const uint8_t at[] = {12, 13, 14, 20, 21, 23, 30, 34, 35, 36, 37};
            f[at[rand() % sizeof(at)]] ^= (uint8_t)(1u << (rand() % 8));
        }
        int w = want_dhcp(f);
        CHECK(run(prog, n, f, 60) == w);
        dhcp_ok += (unsigned)w;
    }
    CHECK(dhcp_ok > 10000 && dhcp_ok < 90000);

    /* Random mutations of matching frames against the C predicate. */
    n = vnet_filter_ip(prog, IP, ports, 4);
    srand(15);
    unsigned accepted = 0;
    for (int t = 0; t < 200000; t++) {
        const struct vnetif_port *p = &ports[rand() % VNETIF_PORTS_MAX];
        ip_frame(f, p->proto, IP, p->port);
        for (int k = rand() % 3; k > 0; k--) {
            static const uint8_t at[] = {12, 13, 14, 15, 20, 21, 22, 23, 30, 33, 36, 37};
            f[at[rand() % sizeof(at)]] ^= (uint8_t)(1u << (rand() % 8));
        }
        int w = want_ip(f, ports, 4);
        CHECK(run(prog, n, f, 60) == w);
        accepted += (unsigned)w;
    }
    CHECK(accepted > 20000 && accepted < 180000);
    printf("test_vnet_filter: %d checks passed (%u random frames accepted)\n", checks, accepted);
    return 0;
}
