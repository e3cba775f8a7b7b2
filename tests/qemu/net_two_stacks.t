# Two TCP/IP stacks on one NIC at once: the native web server (user/httpd.c,
# the first boot environment, TCP 8080 and UDP 7) and the POSIX instance
# (netd, a sibling CAP_NET from the kernel) with busybox httpd on port 80
# (tests/linux/net_two_stacks.sh).  Both take 10.0.2.15 from QEMU's DHCP
# at about the same time (DHCP's shared filter), each owning other ports
# of it.  Host-side clients on 127.0.0.1 fetch from both alternately and
# then at once (the 10 MiB file from one while the other serves big.txt,
# and the native UDP echo meanwhile); busybox nc cannot bind the native
# server's port (EADDRINUSE); exactly one stack holds ICMP (the first,
# httpd: netd's claim is not made), and the gateway's answer to its ping
# reaches it.
# The _user variant: the same with net=user (both stacks on netmux).
variants=("net=user")
machine=q35
native=8080
cmdline="init=httpd,posix arg0=$(( native << 16 | 3 )) run=sh,sh,/bin/net_two_stacks.sh"
timeout=240
native_port=$(free_port tcp)
busy_port=$(free_port tcp)
quit_port=$(free_port tcp)
echo_port=$(free_port udp)
qemu_extra="-m 1G -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$native_port-:$native,hostfwd=tcp:127.0.0.1:$busy_port-:80,hostfwd=tcp:127.0.0.1:$quit_port-:81,hostfwd=udp:127.0.0.1:$echo_port-:7
 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
client_ready="^client_ready"
client() {
    set -e
    trap 'echo "client: failed: $BASH_COMMAND"' ERR
    local nat=http://127.0.0.1:$native_port bb=http://127.0.0.1:$busy_port out=$BUILD/test-logs/net_two_stacks.out
    local hello="hello from busybox httpd, next to the native server" i want bg
    for i in 1 2 3 4 5; do
        curl -sS -m 20 -o "$out" "$nat/index.html"
        cmp "$out" www/index.html
        [ "$(curl -sS -m 20 "$bb/index.html")" = "$hello" ]
    done
    echo "alternately: 5 pages from each, right contents"
    want=$(seq 1 20000 | md5sum)
    ( for i in 1 2 3; do [ "$(curl -sS -m 90 "$bb/big.txt" | md5sum)" = "$want" ] || exit 1; done ) &
    bg=$!
    python3 tests/qemu/net_httpd.py udp "$echo_port"
    [ "$(curl -sS -m 90 "$nat/10mb.bin" | sha256sum)" = "$(sha256sum < "$BUILD/www/10mb.bin")" ]
    for i in $(seq 1 20); do
        cmp <(curl -sS -m 20 "$nat/index.html") www/index.html
    done
    python3 tests/qemu/net_httpd.py udp "$echo_port"
    wait $bg
    echo "at once: big.txt x3 from busybox, 10mb.bin and 20 pages from the native server, UDP echoes meanwhile"
    rm -f "$out"
    [ "$(grep -c 'ICMP ours' "$log")" = 1 ]
    grep -q '^httpd: .*ICMP ours' "$log"
    grep -q "^netd: .*ICMP another stack's" "$log"
    grep -q '^httpd: the gateway answered our ping' "$log"
    echo "ICMP: the first stack's (httpd); the gateway's answer to its ping reached it"
    for i in $(seq 1 10); do
        exec 3<> /dev/tcp/127.0.0.1/$quit_port || { sleep 1; continue; }
        printf 'quit\n' >&3
        local reply=""
        read -r -t 20 reply <&3 || true
        exec 3<&-
        [ "$reply" = bye ] && break
        sleep 1
    done
    [ "$reply" = bye ]
    [ "$(curl -sS -m 10 "$nat/quit")" = bye ]
    echo "quit: both"
}
expect=("httpd: 10.0.2.15/24 via 10.0.2.2, DNS 10.0.2.3 \(DHCP\)" "netd: 10.0.2.15/24 via 10.0.2.2, DNS 10.0.2.3 \(DHCP\)"
        "httpd: ready" "nc -l -p 8080: status 1 .*Address (already )?in use"
        "nc got: quit" "busybox httpd stopped" "[1-9][0-9]* UDP echoes" "httpd: quit"
        "env [0-9a-f]+ \(httpd\) exited with status 0" "env [0-9a-f]+ \(posix\) exited with status 0"
        "free pages ([0-9]+) before, \1 after")
reject=("lwip: assertion" "iommu: fault" "misbehaves" "netd: no" "cannot start netd")
