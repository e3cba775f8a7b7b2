# dev_hostile on the PC (i440FX, no IOMMU): the config filter, register and
# port capabilities as on q35, but bus mastering and DMA mappings are
# refused (E_NODEV) since nothing could confine the device's DMA.
machine=pc
truncate -s 1M "$BUILD/dev_nvme_pc.img"
cmdline="init=dev_hostile drv_skip=nvme"    # the NVMe controller is the test's, not the kernel's
qemu_extra="-device edu,addr=4 -device pci-testdev,addr=3
 -device nvme,serial=veneer1,addr=5 -drive file=$BUILD/dev_nvme_pc.img,if=none,id=nvd,format=raw -device nvme-ns,drive=nvd"
expect=("device: [0-9]+ functions for user space, 0 with DMA confined by the IOMMU \(the others never bus-master\)"
        "dev_hostile: no IOMMU: bus mastering and DMA mappings refused" "dev_hostile: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic")
