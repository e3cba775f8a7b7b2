# Debian's e2fsck-static (glibc, unmodified: tools/get-deb-file.sh) runs in
# the POSIX libOS against a second, unmounted extent: one NVMe controller
# with two namespaces; nsid 1 is the instance's ext4 root (fsd), nsid 2 a
# separate ext4 image that fsd serves raw as /dev/nvme1n1 (blkfile.c:
# pread/pwrite, BLKGETSIZE64, fsync = the device's flush).  Boot 1:
# e2fsck -fn on the clean image exits 0 and says so.  Then the host
# corrupts an inode's link count (debugfs sif); boot 2: e2fsck -fn
# reports it and exits 4 with nothing changed (the image's bytes are
# compared), e2fsck -fy fixes it (exit 1), and a second -fn inside finds
# it clean (0); finally the host's e2fsck -fn agrees.
variants=("blk=user")
img=$BUILD/$name.img
img2=$BUILD/$name.ns2.img
tools/mkdisk.sh "$img" 64
stage2=$(mktemp -d)
mkdir -p "$stage2/dir"
printf 'on the second namespace\n' > "$stage2/dir/hello"
seq 1 3000 > "$stage2/numbers"
rm -f "$img2"
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit -E lazy_itable_init=0 -d "$stage2" "$img2" 16M > /dev/null
rm -rf "$stage2"
disk="-device nvme,id=nvme0,serial=vne2fsck -drive file=$img,if=none,id=d0,format=raw -device nvme-ns,bus=nvme0,drive=d0,nsid=1
 -drive file=$img2,if=none,id=d1,format=raw -device nvme-ns,bus=nvme0,drive=d1,nsid=2"
# Then the device file's edges (tests/linux/blkfile_edges.sh).
cmdline="quiet init=posix run=busybox,sh,-c,echo+==begin==;e2fsck+-fn+/dev/nvme1n1;echo+e2fsck_rc=\$?;sh+/bin/blkfile_edges.sh;echo+==end=="
qemu_extra="-m 1G $disk"
timeout=300
expect=("fsd: ext4 on the disk" "fsd: a raw extent of 16777216 bytes as /dev/nvme1n1"
        "Pass 5: Checking group summary information"
        "/dev/nvme1n1: 14/4096 files \([0-9.]+% non-contiguous\)" "e2fsck_rc=0" "fsd: unmounted cleanly"
        "^past_end_read=0" "^across_rc=1" "No space left on device" "^past_rc=1" "^tail=\\\\0\\\\0abcd" "^patched=00585900"
        "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "stays in memory" "e2fsck_rc=[1-9]")
after() {
    e2fsck -fn "$img2" > /dev/null || { echo "ns2 not clean after boot 1"; return 1; }
    e2fsck -fn "$img" > /dev/null || { echo "the root not clean after boot 1"; return 1; }
    debugfs -w -R "sif /dir/hello links_count 3" "$img2" || return 1
    e2fsck -fn "$img2" > /dev/null 2>&1; local h=$?
    [ $h = 4 ] || { echo "the host's e2fsck -fn on the corrupted image: $h, not 4"; return 1; }
    local before
    before=$(sha256sum < "$img2")
    local run="echo+==begin==;e2fsck+-fn+/dev/nvme1n1;echo+rc_n=\$?;sync;cat+/dev/nvme1n1|sha256sum;"
    run+="e2fsck+-fy+/dev/nvme1n1;echo+rc_y=\$?;e2fsck+-fn+/dev/nvme1n1;echo+rc_n2=\$?;echo+==end=="
    timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none -serial file:"$log.2" $qemu_extra \
        -append "quiet $variant init=posix run=busybox,sh,-c,$run" < /dev/null
    local q=$?
    [ $q = 1 ] || { echo "second boot: QEMU exit $q"; tail -n 30 "$log.2"; return 1; }
    tr -d '\r' < "$log.2" > "$log.2.out"
    grep -Eq "Inode [0-9]+ ref count is 3, should be 1.  Fix\? no" "$log.2.out" || { echo "-n: no report"; return 1; }
    grep -qx "rc_n=4" "$log.2.out" || { echo "-n: not exit 4"; grep rc_ "$log.2.out"; return 1; }
    grep -q "^${before%% *}" "$log.2.out" || { echo "-n changed the device (or cat saw other bytes)"; return 1; }
    grep -Eq "Inode [0-9]+ ref count is 3, should be 1.  Fix\? yes" "$log.2.out" || { echo "-y: no fix"; return 1; }
    grep -qx "rc_y=1" "$log.2.out" || { echo "-y: not exit 1"; grep rc_ "$log.2.out"; return 1; }
    grep -qx "rc_n2=0" "$log.2.out" || { echo "-n after -y: not clean"; return 1; }
    grep -q "fsd: unmounted cleanly" "$log.2.out" || { echo "boot 2: no clean unmount"; return 1; }
    e2fsck -fn "$img2" || { echo "the host's e2fsck -fn: not clean after -fy"; return 1; }
    [ "$(debugfs -R 'cat /dir/hello' "$img2" 2>/dev/null)" = "on the second namespace" ] || { echo "content"; return 1; }
    e2fsck -fn "$img" > /dev/null || { echo "the root not clean after boot 2"; return 1; }
}
