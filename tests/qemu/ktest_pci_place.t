# PCI placement from the CPU's side (qboot leaves every BAR at 0): edu's
# registers answer at the address the kernel gave BAR 0, through an
# uncached kernel mapping, and virtio-net's MSI-X table answers behind a
# PCIe root port whose window the kernel programmed.
machine=q35
cmdline="ktest=pci_place"
qemu_extra="-nic none -device edu,addr=2 -device pci-testdev,addr=3
 -device pcie-root-port,id=rp1,chassis=1,addr=4
 -device virtio-net-pci,bus=rp1,disable-legacy=on,iommu_platform=on"
expect=("ktest pci_place: edu BAR 0 at c1000000 reads id 010000ed"
        "ktest pci_place: virtio-net behind the root port: MSI-X entry 0 at c1104000, control 1"
        "ktest pci_place: PASS")
reject=("no room")
