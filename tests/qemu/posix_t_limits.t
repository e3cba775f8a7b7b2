# Conformance: tests/linux/t_limits.c (passes on Linux too) under the
# POSIX libOS: real resource limits (lib/posix/rlimit.c), /proc/uptime,
# FIONREAD on a pipe and a TCP socket on 127.0.0.1 (netd: a NIC on
# restricted user networking), /proc/<pid>/cmdline after execve.
machine=q35
cmdline="init=posix run=t_limits"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=90
expect=("netd: 10.0.2.15/24" "t_limits: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
