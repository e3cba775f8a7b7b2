# The NVMe driver (drivers/nvme/, in the kernel's home kernel/drv_kernel.c)
# on q35 with the IOMMU: every queue, PRP list and data page is an IOVA of
# the kernel's domain (tests/kernel/ktest_nvme.c).  On an 8 MiB raw image
# in build/: identify, write and read back 1 block, a page, a PRP list
# (9 pages, with FUA), the last blocks and 64 pages; a flush; malformed
# requests refused; the I/O queue filled to -E_AGAIN; no IOMMU fault.
# The controller is the kernel's: not handed out as a device capability.
machine=q35
cmdline="ktest=nvme"
img=$BUILD/ktest_nvme.img
rm -f "$img" && truncate -s 8M "$img"
qemu_extra="-drive file=$img,if=none,id=d1,format=raw -device nvme,serial=vnktest,drive=d1,addr=5"
expect=("nvme 00:05.0: QEMU NVMe Ctrl, 256 namespaces, 1 used, volatile write cache present, max transfer 64 pages"
        "nvme 00:05.0: NVMe 1.4 up: I/O queue pair of 64 entries \(32 in flight\), MSI-X vector 1"
        "nvme 00:05.0: namespace 1: 16384 blocks of 512 bytes"
        "device: 3 functions for user space"
        "ktest nvme: 1 blocks at 0 written, read back equal"
        "ktest nvme: 72 blocks at 1000 written \(FUA\), read back equal"
        "ktest nvme: 512 blocks at 4096 written, read back equal"
        "ktest nvme: flush completed"
        "ktest nvme: burst of 32 reads, then the queue full \(-E_AGAIN\), all completed"
        "ktest nvme: [0-9]+ requests, 0 failed by the device; DMA through the kernel's IOMMU domain, 0 IOMMU faults"
        "ktest nvme: PASS")
reject=("iommu: fault" "misbehaves" "ktest: check failed")
