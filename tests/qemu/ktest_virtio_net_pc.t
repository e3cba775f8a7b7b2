# The virtio-net driver on the i440FX PC (no IOMMU): without
# iommu_platform the device offers no ACCESS_PLATFORM and uses physical
# addresses, with bus mastering on (the kernel's own driver is trusted).
# The same exchanges with QEMU's user networking as ktest_virtio_net.t.
machine=pc
cmdline="ktest=virtio_net"
qemu_extra="-netdev user,id=n0 -device virtio-net-pci,netdev=n0,disable-legacy=on,addr=6"
expect=("virtio_net 00:06.0: mac 52:54:00:12:34:56, features VERSION_1 MAC STATUS[[:space:]]*$"
        "virtio_net 00:06.0: up: rx and tx queues of 128 and 128 buffers, link up"
        "ktest virtio_net: DHCP offer of 10.0.2.15"
        "ktest virtio_net: ping 10.0.2.2: echoed"
        "ktest virtio_net: 1000 frames sent \(ring full [0-9]+ times\), all 100[0-9] reclaimed"
        "ktest virtio_net: [0-9]+ frames received, 100[0-9] sent; DMA to physical addresses, 0 IOMMU faults"
        "ktest virtio_net: PASS")
reject=("misbehaves" "ktest: check failed")
