#!/bin/bash
# Run the syscall fuzzer (user/fuzz.c) on the fuzzing kernel.
# Usage: tools/fuzz.sh SEED CALLS [SKIP]  (QEMU, QEMU_BASE, BUILD from make fuzz;
# QEMU_EXTRA from the environment is appended to QEMU's arguments)
# SKIP is a comma-separated list of sequence families to leave out
# (fuzz_skip=, see user/fuzz_seq.h).  Fails on a panic (the kernel prints
# the last syscalls), a hang (the log stops growing for STALL seconds, or
# the overall watchdog), a worker's FAIL, a changed canary or victim page
# or a leaked page; always prints the seed so the run can be replayed with
# make fuzz SEED=... CALLS=... [FUZZ_SKIP=...].
set -u
seed=$1 calls=$2 skip=${3:-}
BUILD=${BUILD:-build}
log=$BUILD/fuzz-$seed.log
limit=$((120 + calls / 2500))   # watchdog, generous for TCG on a busy host
stall=${STALL:-90}              # the driver prints at least every 20 s
append="init=fuzz arg0=$seed arg1=$calls${skip:+ fuzz_skip=$skip}"
echo "fuzz: seed $seed, $calls calls${skip:+, skipping $skip}, watchdog ${limit}s (${stall}s without output), log $log"
# A NIC for the net family, on user networking that reaches nothing
# outside the guest (restrict=on): random frames stay in slirp.
nic="-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
[ "${MACHINE:-q35}" = q35 ] || nic=""
# A disk for the blk family: an NVMe namespace on a scratch image in $BUILD.
disk=$BUILD/fuzz-disk.img
rm -f "$disk" && truncate -s 4M "$disk"
nic="$nic -drive file=$disk,if=none,id=fd1,format=raw -device nvme,serial=vnfuzz,drive=fd1,addr=5"
# An NVMe PF with SR-IOV and no namespace (no kernel driver takes it): dev_sriov, dev_vf.
nic="$nic -device nvme-subsys,id=fzs,nqn=fzs -device nvme,serial=vnfuzzsr,subsys=fzs,addr=7,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4"
start=$(date +%s)
: > "$log"
# shellcheck disable=SC2086
${QEMU:-qemu-system-x86_64} $QEMU_BASE -bios /usr/share/qemu/qboot.rom \
    -kernel "$BUILD/fuzz/kernel.elf" -initrd "$BUILD/initrd.var" \
    -append "$append" -display none -serial file:"$log" $nic ${QEMU_EXTRA:-} < /dev/null &
qemu=$!
size=0 quiet_since=$start code=
while kill -0 "$qemu" 2> /dev/null; do
    sleep 2
    now=$(date +%s) cur=$(stat -c %s "$log")
    [ "$cur" != "$size" ] && size=$cur quiet_since=$now
    if [ $((now - quiet_since)) -ge "$stall" ] || [ $((now - start)) -ge "$limit" ]; then
        kill "$qemu"
        wait "$qemu" 2> /dev/null
        code=124
        break
    fi
done
[ -n "$code" ] || { wait "$qemu"; code=$?; }
grep -a '^fuzz: ' "$log" | tail -3
if [ "$code" = 1 ] && grep -aq "fuzz: PASS" "$log"; then
    echo "fuzz: passed in $(( $(date +%s) - start ))s"
    exit 0
fi
case $code in
    124) why="hang (no output for ${stall}s, or the ${limit}s watchdog)" ;;
    5) why="kernel panic" ;;
    0) why="QEMU ended by itself: a triple fault (-no-reboot); QEMU_EXTRA='-d int -D qemu.log' shows the last exceptions" ;;
    *) why="exit $code" ;;
esac
echo "fuzz: FAILED ($why) after $(( $(date +%s) - start ))s, seed $seed; replay with:" \
     "make fuzz SEED=$seed CALLS=$calls${skip:+ FUZZ_SKIP=$skip}"
grep -a -A40 "PANIC\|FAIL" "$log" | head -60
exit 1
