# The user-level driver home against the kernel's confinement
# (tests/user/uhome_hostile.c): drivers/nvme in user space on the
# controller drv_skip left it, with edu as a device it was not given.
# Requests naming memory outside its IOMMU domain fault and land nowhere
# (canary pages intact, a block gets nothing foreign); its own BAR only,
# never the MSI-X table or the kernel's config registers; a driver
# instance killed with writes in flight leaves the device reset, its
# domain empty and every page returned; a new instance then takes the
# device and works.
machine=q35
cmdline="init=uhome_hostile drv_skip=nvme"
timeout=120
img=$BUILD/uhome_hostile.img
rm -f "$img" && truncate -s 1M "$img"
qemu_extra="-device edu,addr=2 -drive file=$img,if=none,id=d1,format=raw -device nvme,serial=vnuhome,drive=d1,addr=5"
expect=("iommu: fault: 00:05.0"
        "uhome_hostile: DMA outside the domain faulted in the IOMMU; the canaries are intact, the block holds nothing foreign"
        "uhome_hostile: its own BAR only, no MSI-X table, no kernel config registers"
        "uhome_hostile: killed after [0-9]+ writes: device reset, domain empty"
        "uhome_hostile: a new instance took the device again: wrote, flushed, read back"
        "uhome_hostile: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "misbehaves")
