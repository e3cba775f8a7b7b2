# Device capabilities against a hostile holder (tests/user/dev_hostile.c):
# QEMU's edu (DMA engine, MSI) behind the IOMMU, an NVMe controller for
# its MSI-X table, pci-testdev as a second device.  Config writes to BARs,
# ROM, MSI and extended space refused; registers only through a register
# capability, uncached, with its rights, never the MSI-X table; DMA only
# into the domain (canaries stay intact, the IOMMU logs each fault);
# unmapping, freeing, revoking mid-transfer and the holder's death all cut
# the device off first.
machine=q35
truncate -s 1M "$BUILD/dev_nvme.img"
cmdline="init=dev_hostile drv_skip=nvme"    # the NVMe controller is the test's, not the kernel's
qemu_extra="-device edu,addr=2 -device pci-testdev,addr=3
 -device nvme,serial=veneer1,addr=5 -drive file=$BUILD/dev_nvme.img,if=none,id=nvd,format=raw -device nvme-ns,drive=nvd"
expect=("iommu: fault: 00:02.0" "dev_hostile: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic")
