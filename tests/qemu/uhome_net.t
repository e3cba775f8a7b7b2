# An application-owned NIC (Arrakis style): the native web server
# (user/httpd.c, arg0 bit 3) drives the second virtio-net NIC, 00:07.0,
# itself with drivers/virtio_net linked into it (the user-level home) and
# lwIP on it through vnetif_own: no packet filter, no multiplexer.  The
# kernel keeps driving the first NIC, 00:06.0 (drv_skip names only the
# second).  From the host, on 127.0.0.1 only, through the second NIC's
# forwards: index.html byte for byte, a 404, the 10 MiB file against
# build/'s sha256, 50 connections at once; then GET /quit, so the leak
# check runs.  (No UDP echo: with restrict=on QEMU's user network drops
# the guest's UDP replies to a forwarded port; TCP forwards work.)
machine=q35
cmdline="init=httpd arg0=9 drv_skip=00:07.0"
timeout=120
http_port=$(free_port tcp)
qemu_extra="-netdev user,id=n0,restrict=on
 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6
 -netdev user,id=n1,restrict=on,hostfwd=tcp:127.0.0.1:$http_port-:80
 -device virtio-net-pci,netdev=n1,disable-legacy=on,iommu_platform=on,addr=7"
client_ready="httpd: ready"
client() {
    set -e
    trap 'echo "client: failed: $BASH_COMMAND"' ERR
    local url=http://127.0.0.1:$http_port out=$BUILD/test-logs/uhome_net.out t
    curl -sS -m 10 -o "$out" "$url/index.html"
    cmp "$out" www/index.html
    echo "index.html: same bytes"
    [ "$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "$url/no/such/file")" = 404 ]
    echo "missing: 404"
    t=$(curl -sS -m 60 -o "$out" -w '%{time_total}' "$url/10mb.bin")
    [ "$(sha256sum < "$out")" = "$(sha256sum < "$BUILD/www/10mb.bin")" ]
    echo "10mb.bin: sha256 matches, 10485760 bytes in ${t}s"
    rm -f "$out"
    python3 tests/qemu/net_httpd.py conc "$http_port" 50 www/index.html
    [ "$(curl -sS -m 10 "$url/quit")" = bye ]
    echo "quit: bye"
}
expect=("drv: virtio_net: 00:07.0 left to user space" "virtio_net 00:06.0: mac"
        "virtio_net 00:07.0: up: rx and tx queues"
        "httpd: 10.0.2.15/24 via 10.0.2.2.* on our own NIC" "httpd: ready"
        "httpd: our own NIC: [0-9]+ frames in, [0-9]+ out"
        "httpd: quit" "env [0-9a-f]+ \(httpd\) exited with status 0"
        "free pages ([0-9]+) before, \1 after")
reject=("lwip: assertion" "iommu: fault" "misbehaves" "FAIL" "panic")
