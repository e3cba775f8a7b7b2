# The block driver environment killed 20 times under a write workload:
# blk=user, the POSIX libOS's init runs user/drvsup (the supervisor),
# which kills blkd every 150 ms while tests/linux/t_fsync_loop writes and
# fsyncs /root/crash/f<i> and renames generations over cur; each time the
# kernel resets the controller and empties blkd's domain, drvsup starts a
# new instance that re-attaches fsd's ring, and fsd's blkdev_veneer.c
# re-submits what had no completion.  The loop must finish with no error,
# fsd unmount cleanly, e2fsck -fn find the image clean, and a second boot
# (blk=user, no kills) check every fsync'd file and the last generation.
img=$BUILD/disk_crash_user.img
tools/mkdisk.sh "$img" 64
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vncrash,drive=d0"
n=400
cmdline="quiet blk=user blk_crash=20 blk_crash_ms=150 init=posix run=t_fsync_loop,t_fsync_loop,/root/crash,$n"
qemu_extra="-m 1G $disk"
timeout=240
expect=("posix: the disk is served by blkd under drvsup" "drvsup: killing blkd \(0 more\)"
        "drvsup: blkd restarted \(20\)" "fsynced $n" "fsd: unmounted cleanly"
        "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "stays in memory" "failed: errno" "FAILED" "panic")
after() {
    local re
    re=$(grep -ao 'restarted (epoch [0-9]*): [0-9]* requests re-submitted' "$log" | awk '{s += $4} END {print s + 0}')
    echo "fsd's back end saw $(grep -ac 're-submitted' "$log") restarts, re-submitted $re requests"
    [ "$re" -gt 0 ] || { echo "no kill caught a request in flight"; return 1; }
    e2fsck -fn "$img" || { echo "not clean after the crashes"; return 1; }
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet blk=user init=posix run=t_fsync_loop,t_fsync_loop,/root/crash,check,$n" < /dev/null
    local q=$?
    [ $q = 1 ] || { echo "second boot: QEMU exit $q"; tail -n 20 "$log.2"; return 1; }
    grep -a "check: ok" "$log.2" || { echo "check mode failed"; tail -n 20 "$log.2"; return 1; }
    e2fsck -fn "$img" || { echo "not clean after the second boot"; return 1; }
}
