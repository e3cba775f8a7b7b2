/* The Linux peer's network mode (bench/linux/net.c). */
#ifndef BENCH_LINUX_NET_H
#define BENCH_LINUX_NET_H

/* Load the NIC's modules, configure it, start busybox httpd and /udpecho,
 * and wait; returns only on failure, with the status to exit with. */
int net_main(void);

#endif
