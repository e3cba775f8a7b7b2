# The POSIX instance's part of make run-net (packed as /bin/run-net.sh):
# busybox httpd serves /www on port 8080 through netd, next to the native
# web server on port 80, then the console is busybox sh's.  $1: the host
# port QEMU forwards to 8080 (only for the message).
mkdir -p /www
echo "hello from busybox httpd under the POSIX libOS, next to Veneer's native server" > /www/index.html
httpd -f -p 8080 -h /www &
echo "busybox httpd: open http://127.0.0.1:$1/ on the host (the native server: its own line above)"
exec sh
