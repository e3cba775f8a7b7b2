# tests/linux/t_disk_hostile.c on the disk root: the file calls given
# pointers into the libOS's text and the shared arena (fsd's request
# slots), the kernel half and unmapped pages (EFAULT each), paths without
# a NUL, long names, symlink loops, the root as a name, impossible
# renames and removals, negative offsets, tiny getdents buffers, then
# 2000 random calls; the disk must keep working, and its image be clean.
variants=("blk=user")
img=$BUILD/$name.img
tools/mkdisk.sh "$img" 32
cmdline="init=posix run=t_disk_hostile"
qemu_extra="-m 1G -drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vnhostile2,drive=d0"
timeout=180
expect=("fsd: ext4 on the disk" "t_disk_hostile: [0-9]+ checks, 0 failed" "fsd: unmounted cleanly"
        "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented" "posix\[[0-9]+\]: (fault|page fault)" "PANIC" "stays in memory")
after() {
    e2fsck -fn "$img"
}
