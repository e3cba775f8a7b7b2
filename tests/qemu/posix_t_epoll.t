# Conformance: tests/linux/t_epoll.c (a static musl program checking its
# results) under the POSIX libOS: epoll and eventfd over pipes, the tty
# and sockets on 127.0.0.1 served by netd (a NIC on restricted user
# networking, nothing leaves the host, so that init starts netd).
variants=("smp=4")   # also on four CPUs (<name>_smp4)
machine=q35
cmdline="init=posix run=t_epoll"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=90
expect=("netd: 10.0.2.15/24" "t_epoll: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
