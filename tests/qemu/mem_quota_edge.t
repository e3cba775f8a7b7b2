# page_map and dma_map at the edge of the quota (tests/user/mem_quota_edge.c):
# with exactly a few pages of room, full batches either map or fail with
# E_QUOTA, unchanged; an estimate below bind.c's real charge would panic
# in the apply step (dma_map's once did, by one record page).  QEMU's edu
# is the DMA device.
machine=q35
cmdline="init=mem_quota_edge"
qemu_extra="-device edu,addr=2"
expect=("mem_quota_edge: [0-9]+ batches refused with E_QUOTA, [0-9]+ mapped"
        "mem_quota_edge: dma: [0-9]+ refused with E_QUOTA, [0-9]+ mapped" "mem_quota_edge: all checks passed"
        "all environments finished; free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic")
