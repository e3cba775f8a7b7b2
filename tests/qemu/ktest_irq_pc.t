# ktest_irq on the i440FX PC (no IOMMU, config space through the 0xcf8
# ports): edu's MSI and the MSI-X checks as on q35.
machine=pc
cmdline="ktest=irq"
qemu_extra="-device edu,addr=3 -device virtio-net-pci,addr=4,disable-legacy=on"
expect=("irq: vectors 30-df for 64 device interrupts, compatibility format"
        "ktest irq: edu MSI delivered once per ack"
        "ktest irq: msi-x (skipped|entries programmed)"
        "ktest irq: PASS")
