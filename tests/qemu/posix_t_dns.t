# Conformance: tests/linux/t_dns.c (a static musl program checking its
# results) under the POSIX libOS: /etc/hosts, /etc/resolv.conf, and DNS
# over a UDP socket to a responder the test forks on 127.0.0.1:53 inside
# the guest (netd serves it; restricted user networking, nothing leaves
# the host).
machine=q35
cmdline="init=posix run=t_dns"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=90
expect=("netd: 10.0.2.15/24" "t_dns: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
