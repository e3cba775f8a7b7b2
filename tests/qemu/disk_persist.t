# The POSIX libOS's root on disk survives a reboot: a fresh image from
# tools/mkdisk.sh on NVMe; the first boot's busybox sh writes files,
# directories, symlinks, hard links, renames, a sparse file, modes and
# times on / (ext4 through fsd: tests/linux/disk_write.sh); after it the
# host's e2fsck -fn must find the image clean (init's exit unmounted it)
# and debugfs must read a file; then a second boot on the same image
# reads everything back (tests/linux/disk_check.sh), which must equal
# tests/linux/disk_persist.expected.  The _user variant boots both times
# with blk=user: the POSIX libOS's init starts user/blkd under drvsup
# (lib/posix/disk_blkd.c) and fsd runs unchanged on its badged endpoint.
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 64
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnpersist,drive=d0"
cmdline="quiet init=posix run=busybox,sh,/bin/disk_write.sh"
qemu_extra="-m 1G $disk"
timeout=240
expect=("fsd: ext4 on the disk" "==written==" "fsd: unmounted cleanly" "env [0-9a-f]+ \(posix\) exited with status 0")
[ -z "$variant" ] || expect+=("posix: the disk is served by blkd under drvsup")
reject=("not implemented" "stays in memory")
after() {
    e2fsck -fn "$img" || { echo "not clean after the first boot"; return 1; }
    [ "$(debugfs -R 'cat /root/p/hello' "$img" 2>/dev/null)" = "hello disk" ] || { echo "debugfs: /root/p/hello"; return 1; }
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet $variant init=posix run=busybox,sh,-c,echo+==begin==;sh+/bin/disk_check.sh;echo+==end==" < /dev/null
    local q=$?
    [ $q = 1 ] || { echo "second boot: QEMU exit $q"; tail -n 20 "$log.2"; return 1; }
    tr -d '\r' < "$log.2" | sed -n '/^==begin==$/,/^==end==$/p' | sed '1d;$d' > "$log.2.out"
    diff -u tests/linux/disk_persist.expected "$log.2.out" || return 1
    grep -q "journal replayed 0 transactions" "$log.2" || { echo "the second boot replayed"; return 1; }
    e2fsck -fn "$img" || { echo "not clean after the second boot"; return 1; }
}
