# The web server libOS (user/httpd.c) on the NIC, end to end: QEMU's user
# network forwards two free loopback ports (TCP to port 80, UDP to port 7)
# and host-side clients, on 127.0.0.1 only, check: index.html (and /)
# byte for byte, a 404, a 501 for POST, HEAD (headers only, on a kept-alive connection
# that then serves a GET), HTTP/1.0 (closes) and keep-alive (one
# connection for two requests), the 10 MiB file against build/'s sha256,
# 200 connections open at once each answering twice (tests/qemu/net_httpd.py),
# a UDP echo.  Then GET /quit: the server exits once its answer is
# acknowledged, so the kernel's page count runs.  Pings need no test here:
# QEMU's user network cannot ping the guest from the host.  The _user
# variant (net=user) runs the same against the driver environment netmux
# (user/netmux.c), httpd unchanged: its vnetif finds an endpoint where a
# CAP_NET was.
variants=("net=user")
machine=q35
cmdline="init=httpd arg0=1"
timeout=120
http_port=$(free_port tcp)
echo_port=$(free_port udp)
qemu_extra="-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$http_port-:80,hostfwd=udp:127.0.0.1:$echo_port-:7
 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
client_ready="httpd: ready"
client() {
    set -e
    trap 'echo "client: failed: $BASH_COMMAND"' ERR
    local url=http://127.0.0.1:$http_port out=$BUILD/test-logs/net_httpd.out t
    curl -sS -m 10 -o "$out" "$url/index.html"
    cmp "$out" www/index.html
    curl -sS -m 10 -o "$out" "$url/"
    cmp "$out" www/index.html
    echo "index.html: same bytes"
    [ "$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "$url/no/such/file")" = 404 ]
    echo "missing: 404"
    [ "$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -d x=1 "$url/")" = 501 ]
    echo "POST: 501"
    # HEAD, then GET on the same connection: a body after the HEAD would
    # be taken for the second answer's start.
    curl -sS -m 10 -I "$url/10mb.bin" -: -sS -o "$out" -w '%{num_connects}\n' "$url/index.html" > "$out.head"
    grep -q '^HTTP/1.1 200 OK' "$out.head"
    grep -qi '^Content-Length: 10485760' "$out.head"
    cmp "$out" www/index.html
    [ "$(tail -n 1 "$out.head")" = 0 ]
    echo "HEAD: 200, Content-Length 10485760, no body"
    curl -sS -m 10 --http1.0 -D "$out.hdr" -o "$out" "$url/index.html"
    cmp "$out" www/index.html
    grep -qi '^Connection: close' "$out.hdr"
    [ "$(curl -sS -m 10 -o /dev/null -o /dev/null -w '%{num_connects}' "$url/" "$url/index.html")" = 10 ]
    echo "HTTP/1.0: closes; HTTP/1.1: two requests on one connection"
    t=$(curl -sS -m 60 -o "$out" -w '%{time_total}' "$url/10mb.bin")
    [ "$(sha256sum < "$out")" = "$(sha256sum < "$BUILD/www/10mb.bin")" ]
    echo "10mb.bin: sha256 matches, 10485760 bytes in ${t}s"
    rm -f "$out" "$out.head" "$out.hdr"
    python3 tests/qemu/net_httpd.py conc "$http_port" 200 www/index.html
    python3 tests/qemu/net_httpd.py udp "$echo_port"
    [ "$(curl -sS -m 10 "$url/quit")" = bye ]
    echo "quit: bye"
}
expect=("httpd: 2 files from the archive's www/" "httpd: ready"
        "httpd: [0-9]+ connections \(most 2[0-9][0-9] at once, 0 refused"
        "[1-9][0-9]* UDP echoes" "httpd: quit" "env [0-9a-f]+ \(httpd\) exited with status 0"
        "free pages ([0-9]+) before, \1 after")
reject=("lwip: assertion" "iommu: fault" "misbehaves")
[ -z "$variant" ] || expect+=("netmux: virtio_net.*shared by packet filters \(net=user\)")
