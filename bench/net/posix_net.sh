# The network rows of `make bench` under Veneer's POSIX libOS (bench/run.sh
# boots "init=posix run=sh,sh,/bin/posix_net.sh"): Debian's busybox httpd
# serves the same page as the native server and the Linux peer
# (www/index.html, in the boot archive as www-index.html) and bench/net/udpecho.c answers
# on UDP port 7, both on netd's sockets.  Prints the ready line the host
# waits for, then waits: the host stops QEMU when its clients are done.
mkdir -p /www
cp /bin/www-index.html /www/index.html || exit 1
httpd -f -p 80 -h /www &
udpecho 7 &
echo "BENCHNET os=veneer suite=posix ready"
wait
echo "bench: posix_net: a server ended"
