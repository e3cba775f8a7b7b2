# Run by busybox sh under the POSIX libOS for tests/qemu/posix_busybox_net.t:
# Debian's busybox ping, wget and nslookup, unmodified, through netd.
# ping: 127.0.0.1 (answered by netd's lwIP) and 10.0.2.2 (QEMU's own
# virtual host, the only outside address a test may ping); wget: from
# busybox httpd in this instance, by address, by /etc/hosts name and by
# a DNS name; nslookup: only against the responder t_dns serves on
# 127.0.0.1:53 inside the guest.  Nothing leaves the machine.
ping -c 2 127.0.0.1 && echo "ping loopback: ok"
ping -c 2 -W 10 10.0.2.2 && echo "ping gateway: ok"

mkdir -p /www
echo "hello from busybox httpd, fetched by wget" > /www/index.html
seq 1 20000 > /www/big.txt
httpd -f -p 8080 -h /www &
hpid=$!
sleep 1
wget -q -O /tmp/index http://127.0.0.1:8080/index.html && echo "wget by address: $(cat /tmp/index)"
wget -q -O /tmp/big http://localhost:8080/big.txt
[ "$(md5sum < /tmp/big)" = "$(seq 1 20000 | md5sum)" ] && echo "wget by hosts name: big.txt matches ($(wc -c < /tmp/big) bytes)"
wget -q -O /tmp/missing http://127.0.0.1:8080/nothing-here || echo "wget of a missing page: failed as it should"

t_dns serve > /tmp/dns.log &
dpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q ready /tmp/dns.log && break; sleep 1; done
cat /tmp/dns.log
nslookup www.veneer.test 127.0.0.1
nslookup nothing.veneer.test 127.0.0.1 || echo "nslookup of a missing name: failed as it should"
cp /etc/resolv.conf /tmp/resolv.conf.saved
echo "nameserver 127.0.0.1" > /etc/resolv.conf
wget -q -O /tmp/index2 http://web.veneer.test:8080/index.html && echo "wget by DNS name: $(cat /tmp/index2)"
cp /tmp/resolv.conf.saved /etc/resolv.conf
kill $dpid $hpid
wait $dpid $hpid
echo "busybox_net: done"
