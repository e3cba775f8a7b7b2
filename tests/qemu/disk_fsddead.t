# fsd dies under a running shell (kill -9 of its process-table entry,
# tests/linux/disk_fsddead.sh): the disk's calls fail with EIO instead
# of hanging, ps no longer lists fsd, /bin (the memory tree) still works,
# and the instance ends normally.
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 32
cmdline="quiet init=posix run=busybox,sh,/bin/disk_fsddead.sh"
qemu_extra="-m 1G -drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnfsddead,drive=d0"
timeout=180
expect=("fsd: ext4 on the disk" "^alive" "fsd listed: 1" "cat: can't open '/root/x': Input/output error"
        "cat failed" "ls failed" "fsd listed: 0" "^/bin/busybox" "==done=="
        "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "stays in memory" "fsd: unmounted")
