# SQLite on the POSIX libOS's root on disk (ext4 through fsd), and its
# fcntl locks: a fresh image from tools/mkdisk.sh on NVMe; the first
# boot (tests/linux/disk_sqlite.sh) commits rows in transactions and
# checks a query, then a second process holding the lock (an open BEGIN
# EXCLUSIVE) makes a reader fail with SQLITE_BUSY (exit 5, "database is
# locked"), a reader with a busy timeout waits for the commit, and a
# holder killed with -9 loses its lock and its uncommitted row; then
# speedtest1 runs a short size on the disk.  The host's e2fsck -fn must
# find the image clean; a second boot on the same image must read back
# exactly the committed rows (tests/linux/disk_sqlite.expected).
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 64
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnsqlite,drive=d0"
cmdline="quiet init=posix run=busybox,sh,/bin/disk_sqlite.sh"
qemu_extra="-m 1G $disk"
timeout=300
expect=("fsd: ext4 on the disk" "^100\|31050\|r101\|r520" "busy: exit 5 1" "waited\|1" "killed\|0"
        "speedtest1: exit 0" "speedtest1: 3[0-9] tests" "TOTAL\.+ +[0-9.]+s" "st.db\|ok" "==written=="
        "fsd: unmounted cleanly" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "stays in memory" "never got the lock" "failed" "Error")
after() {
    e2fsck -fn "$img" || { echo "not clean after the first boot"; return 1; }
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet $variant init=posix run=busybox,sh,-c,echo+==begin==;sh+/bin/disk_sqlite_check.sh;echo+==end==" < /dev/null
    local q=$?
    [ $q = 1 ] || { echo "second boot: QEMU exit $q"; tail -n 20 "$log.2"; return 1; }
    tr -d '\r' < "$log.2" | sed -n '/^==begin==$/,/^==end==$/p' | sed '1d;$d' > "$log.2.out"
    diff -u tests/linux/disk_sqlite.expected "$log.2.out" || return 1
    e2fsck -fn "$img" || { echo "not clean after the second boot"; return 1; }
}
