# lib/fs on the Veneer block back end (tests/user/extfs_veneer.c): ext4
# on an NVMe namespace of 512-byte blocks, grouped into the file system's
# 4 KiB ones, through an extent capability and a request queue.  The
# host makes the image with mke2fs and checks it afterwards: e2fsck -fn
# clean, debugfs reads the files back.
# The _user variant boots with blk=user: the kernel leaves the NVMe
# controller to user space, tests/user/blkd_sup.c (the supervisor) spawns
# user/blkd with the device capability, attacks it as a hostile client
# (requests outside its extent, pages it did not grant, a flood, forged
# badges, extents of no namespace, 3,000 random calls; last it revokes its
# ring under blkd, which kills only blkd), runs extfs_veneer over a
# hostile blkd (garbage completions, a nonsense cq_head, a flood of
# notifications: it must fail cleanly), then runs the same extfs_veneer
# program as a client of a good blkd: lib/fs over blkdev_veneer.c on a
# badged endpoint instead of a CAP_BLK, the same request ring.  The host
# checks the image the same way.
variants=("blk=user")
machine=q35
cmdline="init=extfs_veneer"
[ -z "$variant" ] || cmdline="init=blkd_sup"
timeout=240
img=$BUILD/$name.img
rm -f "$img"
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit -J size=4 -E lazy_itable_init=0 "$img" 32M > /dev/null
qemu_extra="-drive file=$img,if=none,id=d1,format=raw -device nvme,serial=vnextfs,drive=d1,addr=5"
expect=("extfs_veneer: device of 8192 blocks of 4096 bytes"
        "extfs_veneer: [0-9]+ requests, [0-9]+ flushes, [1-9][0-9]* FUA writes, up to 16 in flight"
        "extfs_veneer: all checks passed")
reject=("FAIL" "panic" "iommu: fault")
if [ -n "$variant" ]; then
    expect=("drv: nvme: 00:05.0 left to user space"
            "blkd: nvme: 65536 blocks of 512 bytes, shared by badged extents"
            "blkd_sup: hostile client: 8 bad requests refused, 12 flooded reads completed once each"
            "blkd_sup: fuzz: 3000 random calls answered"
            "blkd_sup: ring revoked under blkd: doorbell -[0-9]+, blkd dead \(only blkd\)"
            "blkd_sup: through blkd: 200 reads of 4 KiB, [0-9]+ ns each, [0-9.]+ syscalls each"
            "blkd_sup: a hostile driver: its client failed cleanly \(status 1\)"
            "${expect[@]}" "blkd_sup: all checks passed")
    reject=("blkd_sup: FAIL" "panic" "iommu: fault" "blk: nvme" "\(extfs_veneer\) killed" "\(blkd_sup\) killed")
fi
after() {
    e2fsck -fn "$img" || return 1
    [ "$(debugfs -R 'cat /d/hello' "$img" 2>/dev/null)" = "hello from Veneer" ] || { echo "debugfs: /d/hello"; return 1; }
    [ "$(debugfs -R 'dump /big /dev/stdout' "$img" 2>/dev/null | python3 -c '
import sys
d = sys.stdin.buffer.read()
print(len(d) == 1 << 20 and all(d[i] == (i * 13 + (i >> 12)) & 0xff for i in range(len(d))))')" = True ] ||
        { echo "debugfs: /big"; return 1; }
}
