# An application-owned NVMe controller (user/nvme_app.c): drivers/nvme
# linked into the program with the user-level home, driving 00:05.0 that
# drv_skip left to user space, while the kernel drives a second controller
# at 00:06.0 for its blk queues.  The app reads a block the host wrote
# before boot, writes, flushes and reads back 32 KiB, resets the device
# and reads it again, then times 4 KiB reads with no blk syscall on its
# data path, and the same reads through the kernel's queue.  Afterwards
# the host checks the app's image byte for byte.
machine=q35
cmdline="init=nvme_app drv_skip=00:05.0"
timeout=120
img=$BUILD/uhome_nvme.img
kimg=$BUILD/uhome_nvme_kernel.img
rm -f "$img" "$kimg" && truncate -s 1M "$img" && truncate -s 1M "$kimg"
printf 'veneer: written by the host before boot\n' | dd of="$img" bs=512 seek=128 conv=notrunc status=none
qemu_extra="-drive file=$img,if=none,id=d1,format=raw -device nvme,serial=vnapp,drive=d1,addr=5
 -drive file=$kimg,if=none,id=d2,format=raw -device nvme,serial=vnkern,drive=d2,addr=6"
expect=("drv: nvme: 00:05.0 left to user space"
        "nvme 00:05.0: NVMe 1.4 up"
        "nvme_app: read the host's block 128"
        "nvme_app: wrote, flushed and read back 32 KiB"
        "nvme_app: detached \(device reset\), attached again: the data came back from the disk"
        "nvme_app: app-owned driver, interrupts: [0-9]+ reads of 4 KiB, [0-9]+ ns each, [0-9.]+ syscalls each, 0 blk syscalls"
        "nvme_app: app-owned driver, polling: [0-9]+ reads of 4 KiB, [0-9]+ ns each, 0.00 syscalls each, 0 blk syscalls"
        "nvme_app: kernel driver, blk queue: [0-9]+ reads of 4 KiB"
        "nvme_app: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault" "misbehaves")
client_ready="nvme_app: all checks passed"
client() {
    for i in $(seq 100); do grep -q "veneer: halting" "$log" && break; sleep 0.5; done
    grep -q "veneer: halting" "$log" || { echo "no halt"; return 1; }
    python3 - "$img" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
want = bytes((0x5a ^ (o >> 9) ^ (o * 13)) & 0xff for o in range(32768))
text = b"veneer: written by the host before boot\n"
ok = d[:32768] == want and d[65536:65536 + len(text)] == text
print("image: the app's 32 KiB %s, the host's block %s" % ("as written" if d[:32768] == want else "WRONG",
      "intact" if d[65536:65536 + len(text)] == text else "WRONG"))
sys.exit(0 if ok else 1)
PY
}
