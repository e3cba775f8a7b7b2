# fsd against a hostile instance (tests/user/fsd_hostile.c): malformed
# requests in its slots (ops, lengths, data pointers, paths without a NUL,
# inode numbers, offsets) come back as errors, fsd keeps serving, and its
# unmount leaves the image clean for the host's e2fsck -fn.
img=$BUILD/fsd_hostile.img
tools/mkdisk.sh "$img" 32
cmdline="init=fsd_hostile"
qemu_extra="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnfsdh,drive=d0"
timeout=180
expect=("fsd: ext4 on the disk" "fsd: unmounted cleanly" "fsd_hostile: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault")
after() {
    e2fsck -fn "$img"
}
