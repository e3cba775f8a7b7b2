# The user-level NIC multiplexer (net=user: user/netmux.c) against two
# hostile clients (tests/user/netmux_hostile.c, badges 1 and 2): programs
# the verifier must refuse, bad grants, words, handles, lengths, sends as
# another port or MAC, another client's port, filters and grants, the
# default filter from the wrong badge, 3,000 garbage calls; netmux answers
# each with the kernel's codes, and the ARP path works end to end after;
# a flood of replies into a full ring, and a nonsense tail, are dropped
# and counted.
machine=q35
cmdline="net=user init=netmux_hostile,netmux_hostile"
timeout=120
qemu_extra="-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
expect=("netmux: virtio_net.*shared by packet filters \(net=user\)" "netmux_hostile 1: all checks passed"
        "netmux_hostile 2: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault" "netmux.*(fault|killed)")
