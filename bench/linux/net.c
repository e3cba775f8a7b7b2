/*
 * The Linux peer's network mode (boot parameter net=1, bench/run.sh's
 * network boots): the same servers the host's clients measure on Veneer,
 * on Debian's own kernel and drivers.
 *
 * Debian's cloud kernel builds virtio-net and virtio-pci as modules, so
 * /init loads them first: /lib/modules/order (bench/get-linux.sh) lists
 * the .ko files beside it, each after what it depends on, and each goes
 * in with finit_module.  Then the first interface that is not loopback
 * gets QEMU's user-network address, 10.0.2.15/24, with a default route
 * via 10.0.2.2, by the classic ioctls (what busybox ifconfig and route
 * do), and loopback comes up too.  Then it starts Debian's busybox httpd
 * (-f -p 80 -h /www, the same binary and page as under Veneer's POSIX
 * libOS) and /udpecho (bench/net/udpecho.c) on port 7, prints
 * "BENCHNET os=linux ready" and waits: the host stops QEMU when its
 * clients are done.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "net.h"

#define MODULE_DIR "/lib/modules"

/* Load every module of MODULE_DIR/order in its order.  Returns 0, or -1
 * (after a "bench: " line) if one is missing or refused. */
static int net_modules(void)
{
    FILE *f = fopen(MODULE_DIR "/order", "r");
    char name[64], path[128];
    int n = 0;
    if (!f) {
        printf("bench: net: no %s/order\n", MODULE_DIR);
        return -1;
    }
    while (fscanf(f, "%63s", name) == 1) {
        snprintf(path, sizeof(path), "%s/%s.ko", MODULE_DIR, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)) {
            printf("bench: net: cannot load %s: %s\n", path, strerror(errno));
            fclose(f);
            return -1;
        }
        close(fd);
        n++;
    }
    fclose(f);
    printf("net: %d modules loaded\n", n);
    return 0;
}

static void sin_set(struct sockaddr *sa, const char *ip)
{
    struct sockaddr_in *s = (struct sockaddr_in *)sa;
    *s = (struct sockaddr_in){.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &s->sin_addr);
}

/* Bring interface name up with address ip and netmask mask (mask NULL:
 * leave the address alone).  Returns 0 or -1. */
static int net_if_up(int s, const char *name, const char *ip, const char *mask)
{
    struct ifreq r = {0};
    snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", name);
    if (ip) {
        sin_set(&r.ifr_addr, ip);
        if (ioctl(s, SIOCSIFADDR, &r) < 0)
            return -1;
        sin_set(&r.ifr_netmask, mask);
        if (ioctl(s, SIOCSIFNETMASK, &r) < 0)
            return -1;
    }
    if (ioctl(s, SIOCGIFFLAGS, &r) < 0)
        return -1;
    r.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(s, SIOCSIFFLAGS, &r);
}

/* The NIC's interface: the first that is not loopback, waiting up to 5 s
 * for the driver to register it.  Copies its name to name; -1 if none. */
static int net_find_if(char *name, size_t len)
{
    for (int tries = 0; tries < 50; tries++) {
        struct if_nameindex *l = if_nameindex();
        for (struct if_nameindex *i = l; i && i->if_index; i++) {
            if (strcmp(i->if_name, "lo") != 0) {
                snprintf(name, len, "%s", i->if_name);
                if_freenameindex(l);
                return 0;
            }
        }
        if (l)
            if_freenameindex(l);
        nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
    }
    return -1;
}

/* Address the NIC and route through QEMU's gateway.  Returns 0 or -1. */
static int net_config(void)
{
    char name[IFNAMSIZ];
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || net_if_up(s, "lo", "127.0.0.1", "255.0.0.0") < 0) {
        printf("bench: net: cannot bring up lo: %s\n", strerror(errno));
        return -1;
    }
    if (net_find_if(name, sizeof(name)) < 0) {
        printf("bench: net: no network interface\n");
        return -1;
    }
    if (net_if_up(s, name, "10.0.2.15", "255.255.255.0") < 0) {
        printf("bench: net: cannot configure %s: %s\n", name, strerror(errno));
        return -1;
    }
    struct rtentry rt = {.rt_flags = RTF_UP | RTF_GATEWAY, .rt_dev = name};
    sin_set(&rt.rt_dst, "0.0.0.0");
    sin_set(&rt.rt_genmask, "0.0.0.0");
    sin_set(&rt.rt_gateway, "10.0.2.2");
    if (ioctl(s, SIOCADDRT, &rt) < 0) {
        printf("bench: net: no default route: %s\n", strerror(errno));
        return -1;
    }
    close(s);
    printf("net: %s 10.0.2.15/24 via 10.0.2.2\n", name);
    return 0;
}

static pid_t net_start(char **argv)
{
    char *envp[] = {NULL};
    pid_t pid;
    return posix_spawn(&pid, argv[0], NULL, NULL, argv, envp) == 0 ? pid : -1;
}

int net_main(void)
{
    char *httpd[] = {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www", NULL};
    char *echo[] = {"/udpecho", "7", NULL};
    if (net_modules() < 0 || net_config() < 0)
        return 1;
    if (net_start(httpd) < 0 || net_start(echo) < 0) {
        printf("bench: net: cannot start the servers\n");
        return 1;
    }
    printf("BENCHNET os=linux ready\n");
    fflush(stdout);
    int st;
    pid_t pid = wait(&st);         /* neither server ends on its own */
    printf("bench: net: server %d ended (wait status %#x)\n", (int)pid, st);
    return 1;
}
