/*
 * Sockets: what the POSIX libOS and netd (user/netd.c, the instance's
 * TCP/IP stack) share.  A socket is a slot of the arena's socket table,
 * named by an open-file description (OFD_SOCK) like a pipe end; netd maps
 * the arena too but touches only this table, the rings it names and the
 * epoch.  Each field says who writes it: (P) the processes, under the
 * arena lock; (N) netd alone, which never takes the lock.
 *
 *   control: a process posts one request at a time in a slot (op and
 *            arguments, then req_seq++), signals netd's notification word
 *            and sleeps on the epoch until done_seq == req_seq.  netd
 *            serves it from its event loop and bumps the epoch.
 *   data:    two single-producer rings per slot, in the arena's heap:
 *            rx (netd writes, processes read) and tx (the reverse).
 *            A process signals netd after it writes tx or frees rx space;
 *            netd bumps the epoch after it changes anything a process may
 *            wait for.  No round trip per read or write.
 * Datagram rings hold records: struct sock_dgram, then the bytes.  For a
 * raw ICMP socket a received record holds the whole IP packet and a sent
 * one the ICMP message (netd adds the IP header), as Linux's raw sockets;
 * port is unused and addr 0 on tx means the connected peer.
 * Addresses and ports are kept as in a sockaddr_in: network byte order.
 */
#ifndef POSIX_SOCK_H
#define POSIX_SOCK_H

#include <stdint.h>

#define MAX_SOCKS       32
#define SOCK_RX_SIZE    32768       /* > lwIP's TCP_WND: the window never overruns it */
#define SOCK_TX_SIZE    16384
#define SOCK_BACKLOG    8           /* connections netd holds for one listener */
#define NETD_KICK       0x4         /* netd's notification bit for processes (vnetif has 0x1, 0x2) */
#define NETD_QUOTA      4096        /* pages: lwIP, the rings and the arena's roots */

enum { SOCK_STREAM_T = 1, SOCK_DGRAM_T = 2, SOCK_RAW_T = 3 };     /* SOCK_RAW_T: IPPROTO_ICMP only */

/* Requests (req_op). */
enum {
    SOCK_OP_OPEN = 1,   /* type in the slot: make the PCB */
    SOCK_OP_BIND,       /* req_addr, req_port */
    SOCK_OP_LISTEN,     /* req_arg: backlog */
    SOCK_OP_ACCEPT,     /* req_arg: the listener's slot; this slot becomes the connection */
    SOCK_OP_CONNECT,    /* req_addr, req_port (stream: completes later, see state) */
    SOCK_OP_SHUTDOWN,   /* req_arg: SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 */
    SOCK_OP_CLOSE,      /* the last description went: netd drains tx, closes, frees the slot */
};

/* state (N) */
enum { SS_FREE, SS_OPEN, SS_LISTEN, SS_CONNECTING, SS_CONNECTED, SS_CLOSED };

struct sock_dgram {
    uint16_t len;               /* payload bytes that follow */
    uint16_t port;              /* peer port (0 on tx: the connected peer) */
    uint32_t addr;              /* peer address */
};

struct sock {
    int used;                   /* (P) slot taken; netd clears it when a closed socket is gone */
    int type;                   /* (P) SOCK_*_T */
    uint8_t *rx, *tx;           /* (P) rings, allocated with the slot's first use and kept */
    /* one request at a time */
    volatile uint32_t req_seq;  /* (P) bumped when a request is posted */
    volatile uint32_t done_seq; /* (N) req_seq of the last request served */
    int req_op;                 /* (P) SOCK_OP_* */
    int req_arg;                /* (P) */
    uint32_t req_addr;          /* (P) */
    uint16_t req_port;          /* (P) */
    volatile int req_result;    /* (N) 0 or -Linux errno */
    /* connection state */
    volatile int state;         /* (N) SS_* */
    volatile int error;         /* (N) pending SO_ERROR (Linux errno), taken by processes (P) */
    volatile int rx_eof;        /* (N) the peer will send no more */
    volatile int backlog;       /* (N) connections waiting for accept */
    volatile int rd_shut, wr_shut;  /* (P) shutdown seen by the processes */
    uint32_t accepted;          /* (P) connections accept() took (epoll's event count) */
    uint32_t laddr, raddr;      /* (N) local and peer address */
    uint16_t lport, rport;      /* (N) */
    /* rings: byte counters, each written by one side */
    volatile uint64_t rx_head;  /* (N) */
    volatile uint64_t rx_tail;  /* (P) */
    volatile uint64_t tx_head;  /* (P) */
    volatile uint64_t tx_tail;  /* (N) */
};

/* The interface netd runs (N): written once it has its address, before
 * `ready`; DHCP's or the static fallback.  DNS support reads dns. */
struct sock_ifconfig {
    uint32_t addr, mask, gw;    /* network order */
    uint32_t dns;               /* network order: DHCP's first DNS server, 0 if none (static) */
    uint16_t eph_lo, eph_hi;    /* netd's ephemeral ports (its outgoing connections, unbound UDP) */
    uint8_t dhcp;               /* the address came from DHCP */
    uint8_t icmp;               /* netd answers pings (another stack on the NIC may instead) */
    volatile uint8_t ready;     /* the fields above are set */
};

struct sock_table {
    int netd;                   /* (P, init) a netd serves this instance */
    int icmp;                   /* (P, init) netd answers pings: the instance holds the first boot
                                   environment's CAP_NET (CR_CONTROL), the first stack on the NIC */
    struct sock_ifconfig ifc;   /* (N) */
    volatile int down;          /* (P) netd has gone: every socket fails (sock.c) */
    int netd_pid;               /* (P, init) its process-table entry's pid */
    struct sock socks[MAX_SOCKS];
};

#endif
