# The IOMMU with QEMU's edu device doing DMA (tests/kernel/ktest_iommu.c): blocked
# and logged as a fault while edu is not attached (the bus address is a
# canary page's physical address, so only the IOMMU stands in between),
# round trips through a domain's mappings, a read-only page not written, an
# unmapped page unreachable right after its translation was used, detach
# and destroy blocking again, every table page returned, the fault log
# bounded per device; interrupt remapping entries and the remappable MSI
# format as programmed.  QEMU reports a write to an absent page as "write
# not allowed", like one to a read-only page.
machine=q35
cmdline="ktest=iommu"
qemu_extra="-device edu,addr=2"
expect=("iommu: unit fed90000: translation on \(3-level, 39-bit, domains [0-9]+\), queued invalidation, interrupt remapping on \(256 entries\)"
        "iommu: fault: 00:02.0 write at iova 0x[0-9a-f]+, reason 0x1 \(root entry not present\)"
        "iommu: fault: 00:02.0 write at iova 0x[0-9a-f]+, reason 0x5 \(write not allowed\)"
        "iommu: fault: 00:02.0: over 16 faults, counting the rest silently"
        "ktest iommu: [0-9]+ faults for 00:02.0"
        "ktest iommu: PASS")
reject=("iommu: fault: 00:02.0 read" "ktest: check failed")
