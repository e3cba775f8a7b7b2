# Two POSIX instances, each with / on its own ext4 on its own SR-IOV VF
# (user/vfmgr.c's POSIX run): the manager hands each VF to a POSIX init,
# whose fsd drives the VF itself (lib/fs/blkdev_vf.c: drivers/nvme in
# fsd) instead of a kernel extent.  Both instances' busybox write files
# and 2 MiB with dd (timed: each reports its time, hence throughput) at
# the same time, sync, read back, and unmount cleanly when they end.
# The host then runs
# e2fsck -fn on both namespace images and reads the files back with
# debugfs; the PF's shared namespace and the unused one stay untouched.
. tests/qemu/sriov.sh
machine=q35
cmdline='init=vfmgr arg1=3 drv_skip=00:05.0 run=busybox,sh,-c,mkdir+-p+/root/w;echo+hello+vf+>/root/w/hello;seq+1+20000+>/root/w/numbers;time+dd+if=/dev/zero+of=/root/w/zero+bs=65536+count=32;sync;echo+==vf+lines+`wc+-l+</root/w/numbers`+`cat+/root/w/hello`=='
timeout=300
img=$BUILD/sriov_posix
sriov_images "$img" 4M 1 4
for i in 2 3; do tools/mkdisk.sh "$img.ns$i" 16 > /dev/null; done
qemu_extra="-m 1G $(sriov_devices "$img" 4)"
expect=("vfmgr: controller 1: .* online, namespace 2 attached" "vfmgr: controller 2: .* online, namespace 3 attached"
        "fsd: ext4 on the disk \(an SR-IOV VF, driven by fsd\)"
        "nvme 00:05.1: namespace 2" "nvme 00:05.2: namespace 3"
        "32\+0 records out" "real\s+0m [0-9.]+s"
        "==vf lines 20000 hello vf=="
        "vfmgr: posix 1 ended \(status 0\), controller 1 offline" "vfmgr: posix 2 ended \(status 0\), controller 2 offline"
        "vfmgr: all checks passed")
reject=("FAIL" "panic" "iommu: fault" "misbehaves" "stays in memory" "unmount failed")
client_ready="vfmgr: all checks passed"
client() {
    sriov_halted || return 1
    [ "$(grep -c "==vf lines 20000 hello vf==" "$log")" = 2 ] || { echo "not both instances"; return 1; }
    [ "$(grep -c "fsd: ext4 on the disk (an SR-IOV VF" "$log")" = 2 ] || { echo "not both fsds on VFs"; return 1; }
    for ns in 2 3; do
        e2fsck -fn "$img.ns$ns" || { echo "ns$ns: e2fsck"; return 1; }
        [ "$(debugfs -R "cat /root/w/hello" "$img.ns$ns" 2>/dev/null)" = "hello vf" ] || { echo "ns$ns: hello"; return 1; }
        [ "$(debugfs -R "cat /root/w/numbers" "$img.ns$ns" 2>/dev/null | md5sum)" = "$(seq 1 20000 | md5sum)" ] ||
            { echo "ns$ns: numbers"; return 1; }
        [ "$(debugfs -R "dump /root/w/zero /dev/stdout" "$img.ns$ns" 2>/dev/null | wc -c)" = 2097152 ] ||
            { echo "ns$ns: zero"; return 1; }
        echo "ns$ns: e2fsck clean, the instance's files as written"
    done
    sriov_untouched "$img" 1 4
}
