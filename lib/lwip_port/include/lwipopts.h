/*
 * lwIP's configuration for Veneer-native libOSes (lwIP reads it from
 * lwip/opt.h; what is not here keeps opt.h's default).  One thread, no
 * OS: NO_SYS=1 and only the raw (callback) API.  IPv4 with ARP, ICMP, UDP,
 * TCP and DHCP; checksums computed in software (QEMU's user network offers
 * no offload).  Sized for a web server (user/httpd.c) with 200 clients at
 * once: 256 TCP PCBs (the connections and those in TIME_WAIT, which lwIP
 * reuses first when it runs out), a 16-segment window and send buffer,
 * enough segments and by-reference pbufs for every connection's queue to
 * be in flight, a 256 KiB heap for outgoing headers and copies.
 */
#ifndef LWIP_LWIPOPTS_H
#define LWIP_LWIPOPTS_H

/* ---- the system: one thread, no OS */
#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0       /* nothing to protect against */
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_TIMERS             1       /* sys_check_timeouts() from the main loop */

/* ---- memory: all static, in the program's bss */
#define MEM_ALIGNMENT           8
#define MEM_SIZE                (256 * 1024)    /* heap: PBUF_RAM (TCP's copies, loopback) */
#define MEMP_NUM_PBUF           1024            /* PBUF_ROM/REF headers: data written without a copy */
#define MEMP_NUM_UDP_PCB        8
#define MEMP_NUM_TCP_PCB        256
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG        1024            /* >= TCP_SND_QUEUELEN (init.c checks) */
#define PBUF_POOL_SIZE          256             /* received frames, each a PBUF_POOL_BUFSIZE pbuf */

/* ---- link and network layers */
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define LWIP_ETHERNET           1
#define ARP_TABLE_SIZE          16
#define ARP_QUEUEING            1
#define LWIP_ICMP               1
#define LWIP_RAW                1
#define LWIP_DHCP               1
#define LWIP_IGMP               0
#define LWIP_DNS                0
#define LWIP_NETIF_LOOPBACK     1               /* frames to our own address (and loopif) */
#define LWIP_HAVE_LOOPIF        1               /* 127.0.0.1 */
#define LWIP_LOOPBACK_MAX_PBUFS 0               /* no limit: the heap bounds it */

/* ---- DHCP on vnetif: no ARP probe of the offered address (the stacks
 * sharing a NIC may share its address too, each owning other ports; a
 * stack that answered the probe would make the other decline it), and
 * the DNS server taken from the ACK by a hook (no DNS client here) */
#define DHCP_DOES_ARP_CHECK     0
#define LWIP_HOOK_FILENAME      "vnet_hooks.h"

/* ---- transport */
#define LWIP_UDP                1
#define LWIP_TCP                1
#define TCP_MSS                 1460
#define TCP_WND                 (16 * TCP_MSS)
#define TCP_SND_BUF             (16 * TCP_MSS)
#define TCP_SND_QUEUELEN        ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ         1
#define LWIP_TCP_SACK_OUT       1
#define TCP_LISTEN_BACKLOG      1               /* a full backlog drops SYNs (the client retries), as Linux */

/* ---- checksums: in software, the 32-bit algorithm, folded into copies */
#define CHECKSUM_GEN_IP         1
#define CHECKSUM_GEN_UDP        1
#define CHECKSUM_GEN_TCP        1
#define CHECKSUM_GEN_ICMP       1
#define CHECKSUM_CHECK_IP       1
#define CHECKSUM_CHECK_UDP      1
#define CHECKSUM_CHECK_TCP      1
#define CHECKSUM_CHECK_ICMP     1
#define LWIP_CHKSUM_ALGORITHM   3
#define LWIP_CHECKSUM_ON_COPY   1

/* ---- statistics: lwip_stats, without the display code (LWIP_DEBUG stays undefined) */
#define LWIP_STATS              1
#define LWIP_STATS_DISPLAY      0

#endif
