# busybox_script.sh (see posix_busybox_script.t) with / on the disk: the
# same applets and the same expected output, on ext4 through fsd instead
# of the in-memory file system (its files are under /tmp/bbtest, on the
# disk).  Then the host's e2fsck -fn must find the image clean.
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 64
cmdline="quiet init=posix run=busybox,sh,-c,echo+==begin==;sh+/bin/busybox_script.sh|cat;echo+==end=="
qemu_extra="-m 1G -drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnbbs,drive=d0"
timeout=240
expect_file=tests/linux/busybox_script.expected
expect=("fsd: ext4 on the disk" "fsd: unmounted cleanly" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "stays in memory")
after() {
    e2fsck -fn "$img"
}
