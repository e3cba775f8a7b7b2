# tests/linux/t_netdead.c under the POSIX libOS: processes blocked in
# accept, recv, poll and epoll_wait on sockets get errors, not a hang,
# when netd is killed (kill -9 of its process-table entry).
# The _user variant: the same with net=user (netd on netmux).
variants=("net=user")
machine=q35
cmdline="init=posix run=t_netdead"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=90
expect=("netd: 10.0.2.15/24" "t_netdead: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
