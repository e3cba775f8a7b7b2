/*
 * A client of a hostile user-level NIC driver (net=user netmux_evil:
 * user/netmux.c fills each new ring with garbage, floods the word and,
 * after a few calls, never answers).  lwIP runs unchanged on vnetif over
 * that netmux for 3 s, sending a datagram every 100 ms; once the
 * interface is up every call waits at most 200 ms (ipc_timeout).  The client must lose only service: no
 * fault, its own memory and capabilities intact, vnetif closed cleanly.
 */
#include "check.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "vnetif.h"

static uint8_t canary[8192];

int main(void)
{
    static struct vnetif vn;
    static struct netif nif;
    static const struct vnetif_port ports[1] = {{17, 5000, 0}};
    ip4_addr_t ip, mask, gw;
    for (unsigned i = 0; i < sizeof(canary); i++)
        canary[i] = (uint8_t)(i * 7);
    long word = vn_notify_create(), mine = vn_page_alloc(CAP_SELF, 0, 1);
    CHECK(word >= 0 && mine >= 0);
    lwip_init();
    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    vn = (struct vnetif){.nic = (capref_t)vn_envinfo->net_cap, .ports = ports, .nports = 1};
    bool up = netif_add(&nif, &ip, &mask, &gw, &vn, vnetif_init, ethernet_input) != NULL;
    printf("netmux_victim: netif %s\n", up ? "up" : "refused");
    vn_ipc_timeout(200000000ull);       /* from here on: netmux answers its first calls, then no more */
    long frames = 0;
    if (up) {
        netif_set_default(&nif);
        netif_set_up(&nif);
        struct udp_pcb *u = udp_new();
        CHECK(u && udp_bind(u, IP_ADDR_ANY, 5000) == ERR_OK);
        uint64_t end = vn_clock_ns() + 3000000000ull, next = 0;
        while (vn_clock_ns() < end) {
            frames += vnetif_poll(&nif);
            sys_check_timeouts();
            if (vn_clock_ns() > next) {
                struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, 32, PBUF_RAM);
                if (p) {
                    memset(p->payload, 'x', 32);
                    udp_sendto(u, p, &gw, 9);
                    pbuf_free(p);
                }
                next = vn_clock_ns() + 100000000ull;
            }
            vnetif_wait(&nif);
        }
        udp_remove(u);
        vnetif_close(&nif);
    }
    for (unsigned i = 0; i < sizeof(canary); i++)
        if (canary[i] != (uint8_t)(i * 7)) {
            CHECK(!"canary intact");
            break;
        }
    struct vn_capinfo ci;
    CHECK_EQ(vn_cap_info((capref_t)mine, &ci), 0);
    CHECK_EQ(ci.type, CAP_PAGE);
    CHECK_EQ(vn_notify_signal((capref_t)word, 4), 0);
    CHECK_EQ(vn_notify_poll((capref_t)word), 4);
    printf("netmux_victim: %ld garbage frames taken, %lu sends given up\n", frames, vn.tx_lost);
    return check_done("netmux_victim");
}
