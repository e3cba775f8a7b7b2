# Linux reads what Veneer wrote: a power cut while t_fsync_loop writes,
# fsyncs and renames on the disk root (as disk_powercut.t), then the
# bench's Linux kernel (Debian's, ext4 and NVMe built in) mounts the cut
# image, replaying the journal lib/fs wrote, and t_fsync_loop's check
# mode must find every fsync'd file there (tests/linux/linux_mount.c is
# its /init); it writes /root/from-linux and unmounts.  Then Veneer boots
# on the image Linux left and reads that file back, and the host's
# e2fsck -fn must find the image clean.
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 64
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnlinux,drive=d0"
cmdline="quiet init=posix run=t_fsync_loop,t_fsync_loop,/root/cut,100000"
qemu_extra="-m 1G $disk"
timeout=400
result=killed
expect=("fsd: ext4 on the disk" "fsynced 8")
reject=("not implemented" "stays in memory" "failed: errno")
client_ready="fsynced 6"
client() {
    sleep "$(( RANDOM % 10 + 1 ))e-1" 2> /dev/null || sleep 1
    kill -KILL -- -"$qpid"
    echo "power cut after: $(grep -ao 'fsynced [0-9]*' "$log" | tail -n 1)"
}
after() {
    local k q
    k=$(grep -ao 'fsynced [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    echo "the last fsync that returned: $k"
    timeout "$timeout" $QEMU $QEMU_BASE -machine q35 -bios /usr/share/qemu/qboot.rom \
        -kernel "$BUILD/bench/linux/vmlinuz" -initrd "$BUILD/disk-linux/initramfs.cpio" \
        -append "console=ttyS0 panic=-1 k=$k" $disk -display none -serial file:"$log.linux" < /dev/null
    q=$?
    grep -a "linux:\|EXT4-fs\|check:" "$log.linux"
    [ $q = 1 ] || { echo "Linux: QEMU exit $q"; tail -n 20 "$log.linux"; return 1; }
    grep -q "EXT4-fs (nvme0n1): recovery complete" "$log.linux" || { echo "Linux did not replay"; return 1; }
    grep -q "check: ok $k files" "$log.linux" && grep -q "linux: unmounted" "$log.linux" || return 1
    e2fsck -fn "$img" || { echo "not clean after Linux"; return 1; }
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet $variant init=posix run=busybox,cat,/root/from-linux" < /dev/null
    q=$?
    grep -a "fsd:\|written by" "$log.2"
    [ $q = 1 ] && grep -q "written by Linux" "$log.2" && grep -q "journal replayed 0 transactions" "$log.2" || return 1
    e2fsck -fn "$img"
}
