# lib/fs on the Veneer block back end (tests/user/extfs_veneer.c): ext4
# on an NVMe namespace of 512-byte blocks, grouped into the file system's
# 4 KiB ones, through an extent capability and a request queue.  The
# host makes the image with mke2fs and checks it afterwards: e2fsck -fn
# clean, debugfs reads the files back.
machine=q35
cmdline="init=extfs_veneer"
timeout=180
img=$BUILD/extfs_veneer.img
rm -f "$img"
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit -J size=4 -E lazy_itable_init=0 "$img" 32M > /dev/null
qemu_extra="-drive file=$img,if=none,id=d1,format=raw -device nvme,serial=vnextfs,drive=d1,addr=5"
expect=("extfs_veneer: device of 8192 blocks of 4096 bytes"
        "extfs_veneer: [0-9]+ requests, [0-9]+ flushes, [1-9][0-9]* FUA writes, up to 16 in flight"
        "extfs_veneer: all checks passed")
reject=("FAIL" "panic" "iommu: fault")
after() {
    e2fsck -fn "$img" || return 1
    [ "$(debugfs -R 'cat /d/hello' "$img" 2>/dev/null)" = "hello from Veneer" ] || { echo "debugfs: /d/hello"; return 1; }
    [ "$(debugfs -R 'dump /big /dev/stdout' "$img" 2>/dev/null | python3 -c '
import sys
d = sys.stdin.buffer.read()
print(len(d) == 1 << 20 and all(d[i] == (i * 13 + (i >> 12)) & 0xff for i in range(len(d))))')" = True ] ||
        { echo "debugfs: /big"; return 1; }
}
