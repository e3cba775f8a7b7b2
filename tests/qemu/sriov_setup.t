# The kernel's SR-IOV mechanism (tests/user/sriov_setup.c): QEMU's NVMe
# controller with four VFs in a subsystem, left to user space by
# drv_skip; enable and disable 1, 2 and 4 VFs, checking their IDs,
# addresses, BAR placement, capabilities, the filter and revocation.
. tests/qemu/sriov.sh
machine=q35
cmdline="init=sriov_setup drv_skip=00:05.0"
timeout=90
img=$BUILD/sriov_setup
sriov_images "$img" 1M 1 2
qemu_extra="$(sriov_devices "$img" 2)"
expect=("sriov_setup: 1 VF enabled" "sriov_setup: 2 VFs enabled" "sriov_setup: 4 VFs enabled"
        "sriov_setup: the PF's reset disabled" "sriov_setup: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault")
