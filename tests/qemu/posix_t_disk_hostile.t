# tests/linux/t_disk_hostile.c on the in-memory file system (no disk):
# the same refusals as on the disk root (disk_hostile.t).
variants=("blk=user")
cmdline="init=posix run=t_disk_hostile"
qemu_extra="-m 1G"
timeout=120
expect=("t_disk_hostile: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented" "posix\[[0-9]+\]: (fault|page fault)" "PANIC")
