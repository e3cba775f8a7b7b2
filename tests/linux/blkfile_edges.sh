# The block device file's edges (tests/qemu/disk_e2fsck.t), on the raw
# extent /dev/nvme1n1 of 16 MiB: a read past the end gets 0 bytes, a
# write across the end is cut short and one past it fails (ENOSPC), an
# unaligned write inside lands (fsd patches the block) and reads back,
# and tail (lseek SEEK_END) finds the end.  The bytes changed are in the
# file system's last block, which is free: e2fsck stays clean.
d=/dev/nvme1n1
echo "past_end_read=$(dd if=$d bs=4096 skip=4096 count=1 2>/dev/null | wc -c)"
printf abcdef | dd of=$d bs=6 seek=2796202 conv=notrunc 2>/dev/null
echo "across_rc=$?"
printf abc | dd of=$d bs=1 seek=16777216 conv=notrunc
echo "past_rc=$?"
echo "tail=$(tail -c 6 $d | od -An -c | tr -d ' ')"
printf XY | dd of=$d bs=1 seek=16777000 conv=notrunc 2>/dev/null
echo "patched=$(dd if=$d bs=1 skip=16776999 count=4 2>/dev/null | od -An -tx1 | tr -d ' ')"
