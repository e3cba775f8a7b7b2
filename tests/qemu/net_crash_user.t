# Crash and restart of the user-level NIC driver (net=user): netsup
# (user/netsup.c) kills netmux $kills times, one every 150 ms, while the
# host downloads the web server's 10 MiB file; each time it starts a new
# instance and re-grants and re-installs every client's rings and
# filters (the kernel reset the NIC meanwhile).  httpd (unchanged) never
# notices but for lost frames: every download completes by TCP
# retransmission with the right sha256, and the server's other state
# (its connections, its pages) is intact.  NET_CRASH_KILLS=20 for the
# issue's count; make test runs 6.
kills=${NET_CRASH_KILLS:-6}
machine=q35
cmdline="init=httpd arg0=1 net=user net_crash=$kills net_crash_ms=150"
timeout=400
http_port=$(free_port tcp)
qemu_extra="-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$http_port-:80
 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
client_ready="httpd: ready"
client() {
    set -e
    trap 'echo "client: failed: $BASH_COMMAND"' ERR
    local url=http://127.0.0.1:$http_port out=$BUILD/test-logs/net_crash_user.out want i t
    want=$(sha256sum < "$BUILD/www/10mb.bin")
    for i in $(seq 1 40); do
        t=$(curl -sS -m 120 -o "$out" -w '%{time_total}' "$url/10mb.bin")
        [ "$(sha256sum < "$out")" = "$want" ]
        echo "download $i: sha256 matches in ${t}s; restarts so far: $(grep -c 'netsup: netmux restarted' "$log")"
        [ "$(grep -c 'netsup: netmux restarted' "$log")" -lt "$kills" ] || break
    done
    rm -f "$out"
    [ "$(grep -c 'netsup: netmux restarted' "$log")" -ge "$kills" ]
    cmp <(curl -sS -m 30 "$url/index.html") www/index.html
    [ "$(curl -sS -m 30 "$url/quit")" = bye ]
    echo "quit: bye"
}
expect=("netsup: netmux restarted \($kills\), epoch $((kills + 1))\b" "httpd: quit"
        "env [0-9a-f]+ \(httpd\) exited with status 0" "free pages ([0-9]+) before, \1 after")
reject=("lwip: assertion" "iommu: fault" "FAILED" "panic")
