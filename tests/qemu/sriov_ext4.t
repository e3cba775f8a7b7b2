# Two libOSes, each with its own ext4 on its own SR-IOV virtual function
# of one NVMe controller (user/vfmgr.c's ext4 run, user/vfext4.c on
# lib/fs/blkdev_vf.c): the host makes an ext4 image on each private
# namespace; both libOSes write 2 MiB of files at the same time through
# their own drivers, fsync, unmount, remount and read them back.  The
# host then runs e2fsck -fn on both images, reads each VF's files back
# with debugfs, checks that neither holds the other's directory, and that
# the PF's shared namespace and the unused private one are untouched.
. tests/qemu/sriov.sh
machine=q35
cmdline="init=vfmgr arg0=2048 arg1=2 drv_skip=00:05.0"
timeout=300
img=$BUILD/sriov_ext4
sriov_images "$img" 4M 1 4
for i in 2 3; do
    mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit -J size=4 -E lazy_itable_init=0 "$img.ns$i" 16M > /dev/null
done
qemu_extra="$(sriov_devices "$img" 4)"
expect=("vfmgr: controller 1: .* online, namespace 2 attached" "vfmgr: controller 2: .* online, namespace 3 attached"
        "vfext4 1: ext4 on its VF's namespace 2 \(4096 blocks of 4096 bytes\), driven in user space"
        "vfext4 2: ext4 on its VF's namespace 3 \(4096 blocks of 4096 bytes\), driven in user space"
        "vfext4 1: wrote 2048 KiB of files on ext4 in [0-9]+ ms: [0-9]+ KiB/s" "vfext4 2: wrote 2048 KiB of files on ext4 in [0-9]+ ms: [0-9]+ KiB/s"
        "vfext4 1: read back /vf1/hello and 2048 KiB of /vf1/data, content checked"
        "vfext4 2: read back /vf2/hello and 2048 KiB of /vf2/data, content checked"
        "vfmgr: vfext4 1 ended \(status 0\), controller 1 offline" "vfmgr: vfext4 2 ended \(status 0\), controller 2 offline"
        "vfmgr: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault" "misbehaves")
client_ready="vfmgr: all checks passed"
client() {
    sriov_halted || return 1
    for v in 1 2; do
        ns=$((v + 1)); other=$((3 - v))
        e2fsck -fn "$img.ns$ns" || { echo "ns$ns: e2fsck"; return 1; }
        [ "$(debugfs -R "cat /vf$v/hello" "$img.ns$ns" 2>/dev/null)" = "hello from VF $v" ] ||
            { echo "ns$ns: /vf$v/hello"; return 1; }
        debugfs -R "stat /vf$other" "$img.ns$ns" 2>&1 | grep -q "File not found" ||
            { echo "ns$ns: holds VF $other's directory"; return 1; }
        [ "$(debugfs -R "dump /vf$v/data /dev/stdout" "$img.ns$ns" 2>/dev/null | python3 -c '
import sys
v = int(sys.argv[1])
d = sys.stdin.buffer.read()
print(len(d) == 2 << 20 and d == bytes(((v * 37) ^ (o >> 12) ^ (o * 7) ^ 0x5c) & 0xff for o in range(len(d))))' $v)" = True ] ||
            { echo "ns$ns: /vf$v/data"; return 1; }
        echo "ns$ns: e2fsck clean, VF $v's files as written, nothing of VF $other's"
    done
    sriov_untouched "$img" 1 4
}
