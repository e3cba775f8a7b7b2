# The network rows of `make bench`, sourced by bench/run.sh: one wall-clock
# boot per server, measured from the host through QEMU's user network.
# The bench's NIC (-netdev user,id=bn,restrict=on in QEMU_BASE) gets two
# forwards on free loopback ports, TCP to the guest's port 80 and UDP to
# its port 7, both bound to 127.0.0.1, and loses restrict=on: QEMU 7.2's
# user network drops every UDP datagram a restricted guest sends, the echo
# of a forwarded one too.  The guests only answer: none of the three
# servers sends anything of its own accord.  Once the guest prints its ready line the host runs, in
# order: wrk with 1 connection for 1 s (warm-up, not recorded), wrk with 1
# and with 16 connections for NET_SECS each (one thread, --latency, GET
# /index.html), then bench/net/udp_rtt.py with NET_UDP datagrams; then it
# stops QEMU.  Servers (suite):
#   veneer native  user/httpd.c (init=httpd) on the kernel's NIC multiplexer
#   veneer own     the same server owning the NIC (arg0 bit 3, drv_skip: the
#                  driver linked into it, Arrakis style; issue 17's
#                  application-owned home)
#   veneer netuser the same server with net=user: the NIC multiplexed by the
#                  driver environment user/netmux.c under user/netsup.c
#   veneer posix   busybox httpd + bench/net/udpecho.c under the POSIX libOS
#                  (bench/net/posix_net.sh), with POSIX_MEM of RAM
#   linux  native  the same busybox httpd and udpecho under Linux
#                  (bench/linux/net.c, net=1), with intel_iommu=on so that
#                  its NIC's DMA goes through the IOMMU as Veneer's does
# Each boot leaves $raw/<os>-net-<run>-<suite>.log (the serial console,
# and for the native server its /stats at the end) and .net, one line per
# row: "BENCHNET os=OS suite=S op=OP key=value..." for bench/report.awk.
# Uses run.sh's QEMU, QEMU_BASE, BIOS, BUILD, TIMEOUT, POSIX_MEM, raw, out,
# runs, linux_append.
# shellcheck disable=SC2154
NET_SECS=${NET_SECS:-5}
NET_UDP=${NET_UDP:-1000}

net_free_port() {   # net_free_port tcp|udp: a free loopback port
    python3 -c 'import socket, sys
s = socket.socket(type=socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# net_wrk <conns> <secs> <url>: run wrk, print "rps=... p50=... p90=...
# p99=... requests=... errors=... connect=... read=... write=...
# timeout=... non2xx=..." (latencies in us), or nothing if it measured nothing.
net_wrk() {
    wrk -t1 -c"$1" -d"$2"s --latency "$3" 2>&1 | awk '
        function us(v) {
            if (v ~ /us$/) return v + 0
            if (v ~ /ms$/) return v * 1000
            if (v ~ /m$/) return v * 60e6
            if (v ~ /s$/) return v * 1e6
            return ""
        }
        $1 == "50%" { p50 = us($2) } $1 == "90%" { p90 = us($2) } $1 == "99%" { p99 = us($2) }
        $2 == "requests" && $3 == "in" { req = $1 }
        $1 == "Requests/sec:" { rps = $2 }
        $1 == "Socket" && $2 == "errors:" { gsub(",", ""); c = $4; r = $6; w = $8; t = $10 }
        /Non-2xx or 3xx responses:/ { n = $NF }
        END {
            if (rps == "" || req + 0 == 0 || p99 == "")
                exit 1
            printf "rps=%s p50=%s p90=%s p99=%s requests=%d errors=%d connect=%d read=%d write=%d timeout=%d non2xx=%d\n",
                rps, p50, p90, p99, req, c + r + w + t + n, c, r, w, t, n
        }'
}

# net_boot <os> <suite> <run>: boot one server, measure it, stop it.
net_boot() {
    local os=$1 suite=$2 run=$3 log=$raw/$1-net-$3-$2.log hp up base ready qpid i res prefix
    local guest extra=()
    hp=$(net_free_port tcp) && up=$(net_free_port udp) || return 1
    base=${QEMU_BASE/id=bn,restrict=on/id=bn,hostfwd=tcp:127.0.0.1:$hp-:80,hostfwd=udp:127.0.0.1:$up-:7}
    if [ "$base" = "$QEMU_BASE" ]; then
        echo "bench: net: QEMU_BASE has no -netdev user,id=bn,restrict=on to forward to" >&2
        return 1
    fi
    prefix=""
    [ "$suite" = native ] || prefix=${suite}_
    if [ "$os" = linux ]; then
        guest=(-kernel "$out/linux/vmlinuz" -initrd "$out/linux/initramfs.cpio"
               -append "$linux_append intel_iommu=on net=1")
        ready="BENCHNET os=linux ready"
    elif [ "$suite" = posix ]; then
        extra=(-m "$POSIX_MEM")
        guest=(-kernel "$BUILD/kernel.elf" -initrd "$BUILD/initrd.var"
               -append "quiet init=posix run=sh,sh,/bin/posix_net.sh")
        ready="BENCHNET os=veneer suite=posix ready"
    elif [ "$suite" = netuser ]; then
        guest=(-kernel "$BUILD/kernel.elf" -initrd "$BUILD/initrd.var" -append "init=httpd net=user")
        ready="httpd: ready"
    elif [ "$suite" = own ]; then
        guest=(-kernel "$BUILD/kernel.elf" -initrd "$BUILD/initrd.var" -append "init=httpd arg0=8 drv_skip=00:06.0")
        ready="httpd: ready"
    else
        guest=(-kernel "$BUILD/kernel.elf" -initrd "$BUILD/initrd.var" -append "init=httpd")
        ready="httpd: ready"
    fi
    printf 'bench: %-6s %-6s %-6s run %d/%d ' "$os" net "$suite" "$run" "$runs" >&2
    local t0=$EPOCHREALTIME
    : > "$log"
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "$QEMU" $base "${extra[@]}" -bios "$BIOS" "${guest[@]}" \
        -display none -monitor none -serial "file:$log" < /dev/null 2> "$log.qemu" &
    qpid=$!
    for ((i = 0; i < TIMEOUT * 5; i++)); do
        grep -q "$ready" "$log" && break
        kill -0 "$qpid" 2> /dev/null || break
        sleep 0.2
    done
    if ! grep -q "$ready" "$log" || grep -q '^bench: ' "$log"; then
        kill "$qpid" 2> /dev/null; wait "$qpid"
        echo "bench: $os (net, $suite) did not come up; last lines of $log:" >&2
        tail -n 20 "$log" | sed 's/^/    | /' >&2
        tail -n 5 "$log.qemu" | sed 's/^/    qemu| /' >&2
        return 1
    fi
    local url=http://127.0.0.1:$hp/index.html ok=1
    for ((i = 0; i < 30; i++)); do      # the first answer (ARP, a listening socket)
        curl -sS -m 10 -o /dev/null "$url" 2> /dev/null && break
        sleep 1
    done
    net_wrk 1 1 "$url" > /dev/null
    {
        for c in 1 16; do
            res=$(net_wrk "$c" "$NET_SECS" "$url") || { echo "bench: net: $os $suite: wrk -c$c measured nothing"; ok=0; }
            echo "BENCHNET os=$os suite=$suite op=${prefix}http_c$c conns=$c secs=$NET_SECS $res"
        done
        res=$(python3 bench/net/udp_rtt.py "$up" "$NET_UDP") || { echo "bench: net: $os $suite: no UDP echo"; ok=0; }
        echo "BENCHNET os=$os suite=$suite op=${prefix}udp_echo $res"
    } > "$log.part"
    grep '^bench: ' "$log.part" >&2
    grep -v '^bench: ' "$log.part" > "${log%.log}.net"
    rm -f "$log.part"
    [ "$suite$os" = nativeveneer ] && curl -sS -m 10 "http://127.0.0.1:$hp/stats" >> "$log" 2> /dev/null
    kill "$qpid" 2> /dev/null
    wait "$qpid"
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%5.1fs\n", b - a }' >&2
    [ "$ok" = 1 ]
}
