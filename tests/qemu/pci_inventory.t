# The boot inventory on q35 with the IOMMU (the default machine, named so
# that MACHINE=pc does not change it): ACPI's I/O APIC, ECAM window and
# DMAR unit (fed90000, interrupt remapping, explicit device scopes), the
# unit programmed (translation and interrupt remapping on; nothing is
# attached and nothing faults), then the kernel's line for every PCI
# function: edu, pci-testdev, a PCIe root port (its buses and window) and
# the virtio-net behind it (the kernel's driver takes it), and an NVMe
# controller (drv_skip=nvme: the kernel's NVMe driver leaves it to lspci).
# Then lspci, the first environment, prints the functions it
# holds from dev_info and config space, with sized and placed BARs and
# capabilities: edu (MSI), pci-testdev, NVMe with SR-IOV (2 VFs, from the
# extended capabilities), all with DMA confined by the IOMMU.
# qboot leaves every BAR at 0: the kernel places them all, largest first
# from 0xc0000000 (above ECAM), the root port's window around the NIC's
# BARs, ports from 0xc000; the NVMe PF's VF BAR0 (2 x 16K, for its VFs) is
# placed too, at c1200000, before the NVMe BAR0 (VFs stay off).
machine=q35
cmdline="init=lspci drv_skip=nvme"
truncate -s 1M "$BUILD/pci_nvme.img"
qemu_extra="-nic none -device edu,addr=2 -device pci-testdev,addr=3
 -device pcie-root-port,id=rp1,chassis=1,addr=4
 -device virtio-net-pci,bus=rp1,disable-legacy=on,iommu_platform=on
 -device nvme-subsys,id=nvsub,nqn=veneer-test
 -device nvme,id=nvme0,serial=veneer0,subsys=nvsub,addr=5,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=8
 -drive file=$BUILD/pci_nvme.img,if=none,id=nvd1,format=raw -device nvme-ns,bus=nvme0,drive=nvd1,nsid=1"
expect=("ioapic: id 0 at fec00000, gsi base 0"
        "mcfg: segment 0000 buses 00-ff, ecam at b0000000"
        "dmar: unit at fed90000, segment 0, intremap, 39-bit address width, scopes: ioapic 0 ff:00.0, .*pci 00:02.0, pci 00:03.0, bridge 00:04.0, pci 00:05.0"
        "dmar: no rmrr"
        "iommu: unit fed90000: translation on \(3-level, 39-bit, domains [0-9]+\), queued invalidation, interrupt remapping on \(256 entries\)"
        "pci 0000:00:00.0 8086:29c0 rev 00 class 0600[[:space:]]*$"
        "pci 0000:00:02.0 1234:11e8 rev 10 class 00ff[[:space:]]*$"
        "pci 0000:00:03.0 1b36:0005 "
        "pci 0000:00:04.0 1b36:000c rev 00 class 0604 bridge to buses 01-01 mem window c1100000-c11fffff[[:space:]]*$"
        "pci 0000:01:00.0 1af4:1041 rev 01 class 0200[[:space:]]*$"
        "pci 0000:00:05.0 1b36:0010 rev 02 class 0108[[:space:]]*$"
        "pci 0000:00:1f.0 8086:2918 rev 02 class 0601[[:space:]]*$"
        "lspci 0000:00:02.0 1234:11e8 rev 10 class 00ff \[unclassified\] .* bars: 0:mem32 c1000000/1M caps: msi\(1,64bit\) dma: iommu[[:space:]]*$"
        "lspci 0000:00:03.0 1b36:0005 .* bars: 0:mem32 c120d000/4K 1:io c000/256 dma: iommu[[:space:]]*$"
        "lspci 0000:00:05.0 1b36:0010 .*\[nvme\] .* bars: 0:mem64 c1208000/16K caps: msix\(63,bar0\+2000,pba bar0\+3000\) pcie\(rc-endpoint,flr\) pm ari sriov\(vfs 2,offset 1,stride 1,vf 1b36:0010\) dma: iommu[[:space:]]*$"
        "lspci: 6 devices"
        "pci: memory window c0000000-fec00000, ports c000-10000: 12 of 12 BARs placed, 0 as the firmware had them"
        "pci: 10 functions[[:space:]]*$"
        "free pages ([0-9]+) before, \1 after")
reject=("broken-list" "refused" "acpi: .* ignored" "does not answer" "iommu: none" "left off" "iommu: fault")
# qboot leaves every BAR at 0: the kernel places them all, largest first
# from 0xc0000000 (above ECAM), the root port's window around the NIC's
# BARs, ports from 0xc000; the NVMe PF's VF BAR0 (2 x 16K, for its VFs) is
# placed too, at c1200000, before the NVMe BAR0 (VFs stay off).
