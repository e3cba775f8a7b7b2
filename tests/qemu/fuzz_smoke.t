# A short fixed-seed fuzzing run on 2 CPUs on the fuzzing kernel (syscall
# trace ring, invariant audits every 2048 calls, lock-hold and user-copy
# checks), with every sequence family of user/fuzz_seq.h: no panic, no
# worker FAIL, canary and victim page intact, no leak.  Replay or go longer
# with make fuzz SEED=20261126 CALLS=... SMP=2.
kernel=fuzz/kernel.elf
disk=$BUILD/fuzz_smoke.img
rm -f "$disk" && truncate -s 4M "$disk"
qemu_extra="-smp 2 -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6
 -drive file=$disk,if=none,id=d1,format=raw -device nvme,serial=vnfuzz,drive=d1,addr=5
 -device nvme-subsys,id=fzs,nqn=fzs -device nvme,serial=vnfuzzsr,subsys=fzs,addr=7,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4"
cmdline="init=fuzz arg0=20261126 arg1=200000"
timeout=120
expect=("fuzz: PASS seed 20261126" "paths covered, -?[0-9]+ pages unaccounted" "free pages ([0-9]+) before, \1 after"
        "veneer: [0-9]+ invariant audits passed")
reject=("FAIL")
