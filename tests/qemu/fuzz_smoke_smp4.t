# fuzz_smoke on 4 CPUs (another seed): more CPUs to run a woken or dying
# environment on, and to act from.  make fuzz SEED=20261127 CALLS=... SMP=4.
kernel=fuzz/kernel.elf
qemu_extra="-smp 4 -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
cmdline="init=fuzz arg0=20261127 arg1=200000"
timeout=120
expect=("fuzz: PASS seed 20261127" "paths covered, -?[0-9]+ pages unaccounted" "free pages ([0-9]+) before, \1 after"
        "veneer: [0-9]+ invariant audits passed")
reject=("FAIL")
