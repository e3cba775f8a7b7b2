# The kernel still boots the i440FX PC: no MCFG, so PCI through the 0xcf8
# ports (no extended capabilities), no DMAR, and the kernel says that no
# device may be handed out for DMA.  A PCI-PCI bridge with virtio-net
# behind it, edu, pci-testdev and NVMe are enumerated, and placed in the
# PCI hole, which starts at the end of RAM (256 MiB); lspci, the first
# environment, sees their BARs and capabilities (no extended space), and
# no IOMMU confining their DMA.
machine=pc
cmdline="init=lspci drv_skip=nvme"
truncate -s 1M "$BUILD/pci_nvme_pc.img"
qemu_extra="-nic none -device edu,addr=3 -device pci-testdev,addr=4
 -device pci-bridge,id=br1,chassis_nr=1,addr=5 -device virtio-net-pci,bus=br1,addr=1,disable-legacy=on
 -drive file=$BUILD/pci_nvme_pc.img,if=none,id=nvd0,format=raw -device nvme,serial=veneer1,drive=nvd0,addr=6"
expect=("ioapic: id 0 at fec00000, gsi base 0"
        "mcfg: none"
        "pci: configuration through the 0xcf8 ports, no extended space"
        "iommu: none: no device may be handed to user space for DMA"
        "pci 0000:00:00.0 8086:1237 rev 02 class 0600[[:space:]]*$"
        "pci 0000:00:01.0 8086:7000 rev 00 class 0601[[:space:]]*$"
        "pci 0000:00:04.0 1b36:0005 "
        "pci 0000:00:05.0 1b36:0001 rev 00 class 0604 bridge to buses 01-01 mem window 11100000-111fffff[[:space:]]*$"
        "pci 0000:01:01.0 1af4:1041 rev 01 class 0200[[:space:]]*$"
        "lspci 0000:00:03.0 1234:11e8 .* bars: 0:mem32 11000000/1M caps: msi\(1,64bit\) dma: none[[:space:]]*$"
        "lspci 0000:00:06.0 1b36:0010 .*\[nvme\] .* caps: msix\(65,bar0\+2000,pba bar0\+3000\) pcie\(endpoint,flr\) pm dma: none[[:space:]]*$"
        "lspci: 5 devices"
        "pci: memory window 10000000-fec00000, ports c000-10000: 10 of 10 BARs placed"
        "pci: 10 functions[[:space:]]*$"
        "free pages ([0-9]+) before, \1 after")
reject=("unassigned" "no room" "dmar:" "iommu: 1" "broken-list" "refused" "acpi: .* ignored")
