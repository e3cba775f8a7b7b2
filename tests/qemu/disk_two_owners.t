# Two owners on one disk at once: one NVMe namespace of 72 MiB, split by
# the POSIX instance's init from the boot config weblog=BLOCK,COUNT,FLAGS
# (lib/posix/weblog.c): blocks [0, 131072) (64 MiB: tools/mkdisk.sh's
# ext4, smaller than the namespace) to fsd, [131072, 133120) to the
# native web server (user/httpd.c, a second libOS started with the NIC)
# for its access log (user/httpd_log.c: a header block, one FUA record per
# request), the rest to nobody.  While busybox writes and syncs files on
# ext4, the host fetches pages (200, 404, HEAD) from the web server, then
# /quit.  Each owner's probes past its extent (fsd's: the log's first
# block; the web server's: the unused blocks after it) must be refused by
# the kernel (E_RANGE), and nothing of them lands (the log's header and the
# zeros after it are checked).  After the boot: host e2fsck -fn is clean; the host
# parses the log from the image (every request, in order, with its status
# and bytes) and finds the blocks after the log still zero; a second boot
# reopens the log: the web server finds the same records (boot 2 of it)
# and the files written on ext4 are there.
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 64 72
fsblocks=131072
logblocks=2048
port=8080
flags=$(( port << 16 | 1 ))
web_port=$(free_port tcp)
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vntwo,drive=d0"
net="-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$web_port-:$port -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
script="for+i+in+\$(seq+1+12);do+seq+1+\${i}00>/root/f\$i;sync;echo+posix:+round+\$i;sleep+1;done;"
script+="cat+/root/f12|wc+-l;ls+/root|wc+-l"
cmdline="quiet init=posix weblog=$fsblocks,$logblocks,$flags run=busybox,sh,-c,$script"
qemu_extra="-m 1G $disk $net"
timeout=300
client_grace=60                 # busybox goes on writing ext4 after the web server quit
client_ready="^httpd: ready"
requests=$BUILD/test-logs/disk_two_owners.requests
client() {
    set -e
    trap 'echo "client: failed: $BASH_COMMAND"' ERR
    local url=http://127.0.0.1:$web_port i
    for i in $(seq 100); do grep -q "^posix: round 1" "$log" && break; sleep 0.2; done
    : > "$requests"
    for i in $(seq 1 6); do
        cmp <(curl -sS -m 20 "$url/index.html") www/index.html
        echo "GET /index.html 200 $(stat -c %s www/index.html)" >> "$requests"
        [ "$(curl -sS -m 20 -o /dev/null -w '%{http_code}' "$url/nothing$i")" = 404 ]
        echo "GET /nothing$i 404 -" >> "$requests"
        echo "GET /nothing$i 404 $(curl -sS -m 20 "$url/nothing$i" | wc -c)" >> "$requests"
        curl -sS -m 20 -I "$url/index.html" > /dev/null
        echo "HEAD /index.html 200 0" >> "$requests"
    done
    grep -q "^posix: round" "$log"
    ! grep -q "^posix: round 12" "$log" || { echo "client: ext4 writes ended before the requests"; return 1; }
    echo "requests while posix wrote: $(wc -l < "$requests") (posix at $(grep -c '^posix: round' "$log") rounds)"
    [ "$(curl -sS -m 20 "$url/quit")" = bye ]
    echo "GET /quit 200 4" >> "$requests"
}
expect=("posix: weblog: namespace 1 split: ext4 on blocks \[0, 131072\) \(fsd\), the web server's log on \[131072, 133120\)"
        "httpd: log: past our extent: read E_RANGE: value out of range, write E_RANGE: value out of range, straddling write E_RANGE: value out of range, wrapping write E_RANGE: value out of range"
        "fsd: the block past our extent \(namespace block 131072\): read E_RANGE: value out of range, write E_RANGE: value out of range"
        "httpd: log: 0 records on extent \[131072, \+2048\) of namespace 1 \(boot 1 of this log\)"
        "fsd: ext4 on the disk, 16384 blocks" "httpd: ready" "httpd: quit" "posix: round 12" "^1200" "fsd: unmounted cleanly"
        "env [0-9a-f]+ \(posix\) exited with status 0" "free pages ([0-9]+) before, \1 after")
reject=("not split" "httpd: log: cannot" "append failed" "iommu: fault" "misbehaves" "stays in memory")
after() {
    e2fsck -fn "$img" || { echo "ext4 not clean"; return 1; }
    python3 - "$img" "$requests" $fsblocks $logblocks <<'PY' || return 1
import struct, sys
img, reqf, fsb, logb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
d = open(img, 'rb').read()
log = d[fsb * 512:(fsb + logb) * 512]
magic, ver, bs, blocks, rsz, boots = struct.unpack_from('<8sIIQII', log, 0)
assert (magic, ver, bs, blocks, rsz, boots) == (b'VNWEBLOG', 1, 512, logb, 128, 1), (magic, ver, bs, blocks, rsz, boots)
recs = []
for i in range((logb - 1) * 4):
    m, seq, t, peer, status, meth, nbytes = struct.unpack_from('<IIQIHHQ', log, 512 + i * 128)
    if m != 0x524c5756 or seq != i + 1:
        break
    path = log[512 + i * 128 + 32:512 + i * 128 + 128].rstrip(b'\0').decode()
    recs.append(('GET' if meth == 1 else 'HEAD' if meth == 2 else '?', path, status, nbytes, peer))
want = [l.split() for l in open(reqf)]
assert len(recs) == len(want), (len(recs), len(want))
for r, w in zip(recs, want):
    assert (r[0], r[1], str(r[2])) == tuple(w[:3]), (r, w)
    assert w[3] == '-' or int(w[3]) == r[3], (r, w)
    assert r[4] == 0x0202000a, hex(r[4])       # 10.0.2.2: QEMU's user network
assert not any(d[(fsb + logb) * 512:]), "blocks after the log were written"
print("log: %d records, as requested, in order; the blocks after it are zero" % len(recs))
PY
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet $variant init=posix weblog=$fsblocks,$logblocks,$flags run=busybox,sh,-c,sleep+2;cat+/root/f7|wc+-l" < /dev/null
    tr -d '\r' < "$log.2" > "$log.2.out"
    local n
    n=$(wc -l < "$requests")
    grep -q "httpd: log: $n records on extent \[131072, +2048) of namespace 1 (boot 2 of this log)" "$log.2.out" ||
        { echo "boot 2: the log not found again"; grep "httpd: log" "$log.2.out"; return 1; }
    grep -qx "700" "$log.2.out" || { echo "boot 2: /root/f7"; return 1; }
    grep -q "fsd: unmounted cleanly" "$log.2.out" || { echo "boot 2: no clean unmount"; return 1; }
    e2fsck -fn "$img" > /dev/null || { echo "ext4 not clean after boot 2"; return 1; }
    echo "boot 2: $n records found again, the files on ext4 too"
}
