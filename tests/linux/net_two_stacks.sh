# Run by busybox sh under the POSIX libOS for tests/qemu/net_two_stacks.t,
# while the native web server (user/httpd.c: TCP 8080, UDP 7) shares the
# NIC and the address: a bind to its port fails (the kernel refuses the
# overlapping filter, netd says EADDRINUSE), busybox httpd serves /www on
# port 80, and busybox nc on port 81 takes the host client's last word.
mkdir -p /www
echo "hello from busybox httpd, next to the native server" > /www/index.html
seq 1 20000 > /www/big.txt
echo "big.txt: $(wc -c < /www/big.txt) bytes"
timeout 3 nc -l -p 8080 > /dev/null 2> /tmp/nc.err
echo "nc -l -p 8080: status $? $(cat /tmp/nc.err)"
httpd -f -p 80 -h /www &
hpid=$!
echo bye | nc -l -p 81 > /tmp/quit &
npid=$!
sleep 2
echo client_ready
wait $npid
echo "nc got: $(cat /tmp/quit)"
kill $hpid
wait $hpid
echo "busybox httpd stopped (status $?)"
