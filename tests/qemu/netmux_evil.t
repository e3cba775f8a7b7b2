# A hostile user-level NIC driver (net=user netmux_evil: user/netmux.c
# fills each new ring with garbage, floods the client's word with 1,000
# notifications, then never answers): lwIP on vnetif in
# tests/user/netmux_victim.c loses service only; no fault, its memory
# and capabilities intact, and the kernel's page count exact at the end.
machine=q35
cmdline="net=user netmux_evil init=netmux_victim"
timeout=120
qemu_extra="-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
expect=("netmux: evil: never answering again" "netmux_victim: all checks passed"
        "env [0-9a-f]+ \(netmux_victim\) exited with status 0" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault" "lwip: assertion" "netmux_victim\) killed")
