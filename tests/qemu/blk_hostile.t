# The block multiplexer against hostile libOSes (tests/user/blk_hostile.c)
# on a 2 MiB raw image in build/, NVMe on q35 with the IOMMU: extent
# arithmetic, bad queues, requests outside the extent, wrapping, with
# wrong rights, forged, stale or mistyped caps, read-only or kernel or
# foreign pages, a full ring and nonsense indices, a revoke with a write
# in flight, two children on disjoint extents at once, a child dying with
# writes in flight.  Afterwards the host reads the image: each extent
# holds its writer's pattern and every other block is still zero.
# The _vnlog variant adds the write log's controller (blklog=vnlog,
# drivers/nvme/nvme_log.c): it logs every write, and the libOS must find
# no way to it: no extent (one root extent only) and no device capability
# of any NVMe function.
variants=("blklog=vnlog")
machine=q35
cmdline="init=blk_hostile"
timeout=120
img=$BUILD/$name.img
rm -f "$img" && truncate -s 2M "$img"
qemu_extra="-drive file=$img,if=none,id=d1,format=raw -device nvme,serial=vnhostile,drive=d1,addr=5"
if [ -n "$variant" ]; then
    rm -f "$img.log" && truncate -s 8M "$img.log"
    qemu_extra+=" -drive file=$img.log,if=none,id=d2,format=raw -device nvme,serial=vnlog,drive=d2,addr=6"
fi
expect=("blk: nvme namespace 1: 4096 blocks of 512 bytes, shared by extent capabilities"
        "blk_hostile: no NVMe function among [0-9]+ device capabilities"
        "blk_hostile: revoke with a write in flight: blocks busy until it completed"
        "blk_hostile: two children wrote disjoint extents at once, content checked"
        "blk_hostile: a child died with writes in flight; they drained"
        "blk_hostile: all checks passed" "free pages ([0-9]+) before, \1 after")
[ -z "$variant" ] || expect+=("blklog: write log on" "blklog: flush [0-9]+ at record")
reject=("FAIL" "panic" "iommu: fault" "misbehaves")
client_ready="blk_hostile: all checks passed"
client() {
    for i in $(seq 100); do grep -q "veneer: halting" "$log" && break; sleep 0.5; done
    grep -q "veneer: halting" "$log" || { echo "no halt"; return 1; }
    python3 - "$img" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
assert len(d) == 4096 * 512
def pat(tag, off):
    return (tag ^ (off >> 9) ^ (off * 7)) & 0xff
def want(off):
    b = off // 512
    if b < 1024: return pat(0x11, off)
    if b < 2048: return pat(0x22, off)
    if 2560 <= b < 3072: return pat(0x33, off)
    if 3072 <= b < 3584: return pat(0x44, off)
    return 0
bad = [o for o in range(0, len(d)) if d[o] != want(o)]
print("image: %d bytes differ" % len(bad), "first at block %d" % (bad[0] // 512) if bad else "")
sys.exit(1 if bad else 0)
PY
}
