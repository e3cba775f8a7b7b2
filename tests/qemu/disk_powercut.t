# A power cut while a program writes and fsyncs on the disk root: the
# host SIGKILLs QEMU while tests/linux/t_fsync_loop writes /root/cut/f<i>,
# fsyncs it, renames a new generation over /root/cut/cur and fsyncs the
# directory, printing "fsynced i" after each.  Then, on copies of the cut
# image: the host's e2fsck -fy replays the journal and e2fsck -fn is
# clean, and every f<i> whose fsync returned has its content and cur is a
# whole generation, at least the last one printed; and the cut image
# itself boots again in Veneer, where fsd replays the journal by itself
# and t_fsync_loop's check mode must find the same (then e2fsck -fn).
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 64
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vncut,drive=d0"
cmdline="quiet init=posix run=t_fsync_loop,t_fsync_loop,/root/cut,100000"
qemu_extra="-m 1G $disk"
timeout=300
result=killed
expect=("fsd: ext4 on the disk" "fsynced 12")
reject=("not implemented" "stays in memory" "failed: errno")
client_ready="fsynced 10"
client() {
    # A moment later than the 10th, somewhere in the loop: 0.1 .. 1.5 s.
    sleep "$(( RANDOM % 15 + 1 ))e-1" 2> /dev/null || sleep 1
    kill -KILL -- -"$qpid"
    echo "power cut after: $(grep -ao 'fsynced [0-9]*' "$log" | tail -n 1)"
}
after() {
    local k
    k=$(grep -ao 'fsynced [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    echo "the last fsync that returned: $k"
    cp "$img" "$img.fsck"
    e2fsck -fy "$img.fsck" > "$log.fsck" 2>&1; local f=$?
    [ $f -le 1 ] || { echo "e2fsck -fy: $f"; cat "$log.fsck"; return 1; }
    e2fsck -fn "$img.fsck" || { echo "not clean after e2fsck's replay"; return 1; }
    rm -rf "$img.dump" && mkdir -p "$img.dump"
    debugfs -R "rdump /root/cut $img.dump" "$img.fsck" 2> /dev/null
    python3 - "$img.dump/cut" "$k" <<'PY' || return 1
import sys, os
d, k = sys.argv[1], int(sys.argv[2])
def want(i):
    n = 1000 + (i * 7919) % 20000
    return bytes((i * 31 + j * 7 + (j >> 8)) & 0xff for j in range(n))
bad = [i for i in range(1, k + 1) if not os.path.exists(f"{d}/f{i}") or open(f"{d}/f{i}", "rb").read() != want(i)]
cur = open(f"{d}/cur").read() if os.path.exists(f"{d}/cur") else ""
g = int(cur.split()[1]) if cur.startswith("generation ") else -1
ok = not bad and cur == f"generation {g} of cur\n" and g >= k
print(f"after e2fsck: {k} fsync'd files, {len(bad)} wrong; cur generation {g}: {'ok' if ok else 'WRONG'}")
sys.exit(0 if ok else 1)
PY
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet $variant init=posix run=t_fsync_loop,t_fsync_loop,/root/cut,check,$k" < /dev/null
    local q=$?
    grep -a "fsd:\|check:" "$log.2"
    [ $q = 1 ] || { echo "second boot: QEMU exit $q"; tail -n 20 "$log.2"; return 1; }
    # fsd replays what the host's e2fsck replayed on its copy: something,
    # unless the cut came just after a checkpoint emptied the journal
    # (rare: most cuts leave 15-40 transactions).
    if grep -q "recovering journal" "$log.fsck"; then
        grep -Eq "journal replayed [1-9][0-9]* transactions" "$log.2" || { echo "fsd did not replay"; return 1; }
    else
        grep -Eq "journal replayed [0-9]+ transactions" "$log.2" || { echo "fsd said nothing of its journal"; return 1; }
    fi
    grep -q "check: ok" "$log.2" || return 1
    e2fsck -fn "$img" || { echo "not clean after fsd's replay and a clean unmount"; return 1; }
}
