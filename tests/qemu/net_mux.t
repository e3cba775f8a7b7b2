# The network multiplexer against hostile libOSes (tests/user/net_mux.c),
# with raw frames through QEMU's user networking (restricted: nothing
# leaves the guest's virtual network):
# shared ARP filters each get a copy; ping through an ICMP filter;
# overlapping filters refused on one capability and between siblings,
# allowed and winning through a derived one; sending as another port,
# address or MAC refused; a flood into a full ring (and a nonsense tail)
# dropped and counted while other owners keep working; a stale filter copy
# and a dead child's filter gone.
machine=q35
cmdline="init=net_mux"
qemu_extra="-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
expect=("net: 52:54:00:12:34:56, shared by packet filters" "net_mux: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault")
