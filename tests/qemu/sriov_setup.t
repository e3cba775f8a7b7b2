# The kernel's SR-IOV mechanism (tests/user/sriov_setup.c): QEMU's NVMe
# controller with four VFs in a subsystem, left to user space by
# drv_skip; enable and disable 1, 2 and 4 VFs, checking their IDs,
# addresses, BAR placement, capabilities, the filter and revocation.
machine=q35
cmdline="init=sriov_setup drv_skip=00:05.0"
timeout=90
img=$BUILD/sriov_setup
rm -f "$img".ns*; for i in 1 2; do truncate -s 1M "$img.ns$i"; done
qemu_extra="-device nvme-subsys,id=subsys0,nqn=subsys0
 -device nvme,id=nvme0,serial=vfpf,subsys=subsys0,addr=5,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=8,max_ioqpairs=10,msix_qsize=10
 -drive file=$img.ns1,if=none,id=d1,format=raw -device nvme-ns,bus=nvme0,drive=d1,nsid=1
 -drive file=$img.ns2,if=none,id=d2,format=raw -device nvme-ns,bus=nvme0,drive=d2,nsid=2,shared=off,detached=on"
expect=("sriov_setup: 1 VF enabled" "sriov_setup: 2 VFs enabled" "sriov_setup: 4 VFs enabled"
        "sriov_setup: the PF's reset disabled" "sriov_setup: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault")
