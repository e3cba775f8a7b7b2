# Run by busybox sh under the POSIX libOS for tests/qemu/posix_httpd.t:
# busybox httpd serves /www through netd, and busybox nc listens on port
# 81 for the host client's last word (it answers "bye"), after which
# httpd is stopped.
mkdir -p /www
echo "hello from busybox httpd on Veneer" > /www/index.html
seq 1 30000 > /www/big.txt
echo "big.txt: $(wc -c < /www/big.txt) bytes, md5 $(md5sum < /www/big.txt)"
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
echo "httpd stopped (status $?)"
