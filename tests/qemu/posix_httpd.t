# Debian's busybox httpd (-f -p 80 -h /www) under the POSIX libOS, its
# sockets served by netd (lwIP on the kernel's NIC multiplexer), fetched
# by the host's curl through QEMU's user network (restrict=on: nothing
# leaves the host; the forwards listen on 127.0.0.1 only): a small page,
# 30000 lines (~168 KB) checked by md5, a 404, five requests in a row;
# then busybox nc -l answers a plain TCP connection and the script stops
# httpd with kill.
# The _user variant: the same with net=user (both stacks on netmux).
variants=("net=user")
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_port=$(free_port)
quit_port=$(free_port)
machine=q35
cmdline="quiet init=posix run=sh,sh,/bin/posix_httpd.sh"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$http_port-10.0.2.15:80,hostfwd=tcp:127.0.0.1:$quit_port-10.0.2.15:81 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=180
expect=("netd: 10.0.2.15/24" "nc got: quit" "httpd stopped" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "netd: no" "cannot start netd")

client() {
    local url=http://127.0.0.1:$http_port i page code sum want
    for i in $(seq 1 30); do
        page=$(curl -sS --max-time 20 "$url/index.html") && break
        sleep 1
    done
    echo "index.html: $page"
    [ "$page" = "hello from busybox httpd on Veneer" ] || return 1
    sum=$(curl -sS --max-time 90 "$url/big.txt" | md5sum)
    want=$(seq 1 30000 | md5sum)
    echo "big.txt: $sum (want $want)"
    [ "$sum" = "$want" ] || return 2
    code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$url/nothing-here")
    echo "missing page: $code"
    [ "$code" = 404 ] || return 3
    for i in 1 2 3 4 5; do
        [ "$(curl -sS --max-time 20 "$url/index.html")" = "hello from busybox httpd on Veneer" ] || return 4
    done
    echo "five requests in a row: ok"
    for i in $(seq 1 10); do
        exec 3<> /dev/tcp/127.0.0.1/$quit_port || { sleep 1; continue; }
        printf 'quit\n' >&3
        local reply=""
        read -r -t 20 reply <&3
        exec 3<&-
        echo "nc said: $reply"
        [ "$reply" = bye ] && return 0
        sleep 1
    done
    return 5
}
