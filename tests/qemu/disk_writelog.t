# The write log (drivers/nvme/nvme_log.h): with blklog=vnlog the second
# NVMe controller records every write and flush of the disk root while
# tests/linux/crash_work.sh runs t_fsync_loop (creates, writes, fsyncs,
# renames) beside a SQLite transaction loop (its journal created and
# unlinked per commit); the host
# cuts the power (SIGKILL) after some fsyncs, then tools/crash_replay.py
# rebuilds CRASH_STATES states from the image before the boot and the log:
# at flush boundaries, and between two flushes with unflushed writes
# dropped and reordered, and checks each (e2fsck -fy, e2fsck -fn, every
# fsync'd file and cur, and SQLite's committed rows).  make crashtest runs it with 60 states.
img=$BUILD/disk_writelog.img
tools/mkdisk.sh "$img" 64
cp "$img" "$img.base"
rm -f "$img.log" && truncate -s 512M "$img.log"
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnwl,drive=d0"
disk="$disk -drive file=$img.log,if=none,id=d1,format=raw -device nvme,serial=vnlog,drive=d1"
cmdline="quiet blklog=vnlog init=posix run=sh,sh,/bin/crash_work.sh,/root/cut,100000"
qemu_extra="-m 1G $disk"
timeout=400
result=killed
expect=("blklog: write log on" "fsd: ext4 on the disk" "blklog: flush 3 at record" "fsynced ${CRASH_FSYNCS:-12}" "sqlite committed 3")
reject=("not implemented" "stays in memory" "failed: errno" "log off at record")
client_ready="fsynced ${CRASH_FSYNCS:-12}"
client() {
    kill -KILL -- -"$qpid"
    echo "power cut after: $(grep -ao 'fsynced [0-9]*' "$log" | tail -n 1)"
}
after() {
    python3 tools/crash_replay.py "$img.base" "$img.log" "$log" "$img.states" "${CRASH_STATES:-8}" \
        "${CRASH_SEED:-$RANDOM}"
}
