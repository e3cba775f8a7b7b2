# tests/linux/t_hostile_io.c under the POSIX libOS: epoll, eventfd and
# the socket message calls given pointers into the libOS's own memory
# (text, the shared arena), the kernel half and unmapped pages, then 3000
# calls with random arguments; the libOS must refuse each and keep
# working.  A NIC on restricted user networking so the socket calls have
# netd behind them.
machine=q35
cmdline="init=posix run=t_hostile_io"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=120
expect=("t_hostile_io: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented" "posix\[[0-9]+\]: (fault|page fault)" "PANIC")
