# The virtio-net driver (drivers/virtio_net/, in the kernel's home
# drivers/home_kernel.c) on q35 with the IOMMU: modern only, ACCESS_PLATFORM
# negotiated, so every ring and buffer address is an IOVA of the kernel's
# domain (tests/kernel/ktest_virtio_net.c).  Against QEMU's user networking: ARP
# for the gateway, a DHCP offer, a ping echoed, 1000 frames through the
# 128-buffer TX ring; no IOMMU fault for the NIC.  The NIC is the kernel's:
# not handed out as a device capability.
machine=q35
cmdline="ktest=virtio_net"
qemu_extra="-netdev user,id=n0 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
expect=("virtio_net 00:06.0: mac 52:54:00:12:34:56, features VERSION_1 MAC STATUS ACCESS_PLATFORM[[:space:]]*$"
        "device: 3 functions for user space"
        "virtio_net 00:06.0: up: rx and tx queues of 128 and 128 buffers, link up"
        "ktest virtio_net: 10.0.2.2 is at 52:55:0a:00:02:02"
        "ktest virtio_net: DHCP offer of 10.0.2.15"
        "ktest virtio_net: ping 10.0.2.2: echoed"
        "ktest virtio_net: 1000 frames sent \(ring full [0-9]+ times\), all 100[0-9] reclaimed"
        "ktest virtio_net: [0-9]+ frames received, 100[0-9] sent; DMA through the kernel's IOMMU domain, 0 IOMMU faults"
        "ktest virtio_net: PASS")
reject=("iommu: fault" "misbehaves" "ktest: check failed")
