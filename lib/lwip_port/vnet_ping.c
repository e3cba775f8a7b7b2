/*
 * One ping from a vnetif (vnet_ping.h): a raw ICMP PCB sends an echo
 * request and takes the matching echo reply before lwIP's ICMP code sees
 * it.  The request leaves through the interface's ICMP claim, so without
 * one nothing is sent: the kernel would refuse it, and the reply would go
 * to the stack that holds ICMP.
 */
#include <vn.h>
#include "lwip/inet_chksum.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/timeouts.h"
#include "vnet_ping.h"
#include "vnetif.h"

#define PING_ID   0x7665        /* "ve" */
#define PING_DATA 32

static struct {
    uint16_t seq;
    bool answered;
} ping;

/* Eat the echo reply to our request (returns 1); leave the rest to lwIP. */
static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    struct icmp_echo_hdr h;
    (void)arg, (void)pcb, (void)addr;
    u16_t hl = (u16_t)(IPH_HL_BYTES((const struct ip_hdr *)p->payload));
    if (p->tot_len < hl + sizeof(h) || pbuf_copy_partial(p, &h, sizeof(h), hl) != sizeof(h) ||
        h.type != ICMP_ER || h.id != PP_HTONS(PING_ID) || h.seqno != lwip_htons(ping.seq))
        return 0;
    ping.answered = true;
    pbuf_free(p);
    return 1;
}

long vnet_ping(struct netif *nif, const ip4_addr_t *dst, uint32_t wait_ms)
{
    if (!vnetif_owns(nif, IP_PROTO_ICMP, 0))
        return -E_PERM;
    struct raw_pcb *pcb = raw_new(IP_PROTO_ICMP);
    struct pbuf *p = pcb ? pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM) : NULL;
    if (!p) {
        if (pcb)
            raw_remove(pcb);
        return -E_NOMEM;
    }
    raw_recv(pcb, ping_recv, NULL);
    ping.seq++;
    ping.answered = false;
    struct icmp_echo_hdr *h = p->payload;
    h->type = ICMP_ECHO;
    h->code = 0;
    h->chksum = 0;
    h->id = PP_HTONS(PING_ID);
    h->seqno = lwip_htons(ping.seq);
    memset(h + 1, 0xa5, PING_DATA);
    h->chksum = inet_chksum(h, p->len);
    ip_addr_t to;
    ip_addr_copy_from_ip4(to, *dst);
    uint64_t t0 = vn_clock_ns(), until = t0 + (uint64_t)wait_ms * 1000000;
    err_t e = raw_sendto(pcb, p, &to);
    pbuf_free(p);
    while (e == ERR_OK && !ping.answered && vn_clock_ns() < until) {
        vnetif_poll(nif);
        sys_check_timeouts();
        if (!ping.answered)
            vnetif_wait(nif);
    }
    raw_remove(pcb);
    return ping.answered ? (long)((vn_clock_ns() - t0) / 1000) : e == ERR_MEM ? -E_NOMEM : -E_TIMEOUT;
}
