# Device interrupts (kernel/irq.c, msi.c, ioapic.c) with QEMU's edu device:
# its MSI bound to a kernel-held notification word arrives once per
# acknowledgement (a storm of 1000 raises: one), the source is masked
# until the ack (or while the holder masks it), unbinding silences it,
# bind errors, slots and vectors come back; MSI-X table programming on a
# virtio-net (its BAR placed behind the root port); the I/O APIC's pins
# all masked at boot (none is ever routed).
machine=q35
cmdline="ktest=irq"
qemu_extra="-device edu,addr=2 -device virtio-net-pci,addr=3,disable-legacy=on"
expect=("irq: vectors 30-df for 64 device interrupts, (compatibility format|through interrupt remapping)"
        "ioapic: id 0: 24 pins \(gsi 0-23\), all masked"
        "ktest irq: edu MSI delivered once per ack"
        "ktest irq: msi-x entries programmed"
        "ktest irq: PASS")
