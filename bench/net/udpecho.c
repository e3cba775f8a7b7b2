/*
 * udpecho: the UDP echo server of the network rows of `make bench`, for
 * the two guests that run Linux programs: one static musl binary that
 * Linux's /init starts (bench/linux/net.c) and that Veneer's POSIX libOS
 * runs from its boot archive (bench/net/posix_net.sh).  Veneer's native
 * server answers the same datagrams from its own lwIP callback
 * (user/httpd.c), so every row times the same round trip: one datagram
 * in, the same bytes back to the sender, nothing else.
 *
 * Usage: udpecho [port]   (default 7).  Runs until killed; exits 1 if it
 * cannot bind.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("udpecho: socket/bind");
        return 1;
    }
    for (;;) {
        char buf[2048];
        struct sockaddr_in from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
        if (n >= 0)
            sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    }
}
