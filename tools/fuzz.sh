#!/bin/bash
# Run the syscall fuzzer (user/fuzz.c) on the fuzzing kernel.
# Usage: tools/fuzz.sh SEED CALLS  (QEMU, QEMU_BASE, BUILD from make fuzz)
# Fails on a panic (the kernel prints the last syscalls), a hang (watchdog:
# the QEMU timeout), a changed canary or a leaked page; always prints the
# seed so the run can be replayed with make fuzz SEED=... CALLS=...
set -u
seed=$1 calls=$2
BUILD=${BUILD:-build}
log=$BUILD/fuzz-$seed.log
limit=$((120 + calls / 2500))   # watchdog, generous for TCG on a busy host
echo "fuzz: seed $seed, $calls calls, watchdog ${limit}s, log $log"
start=$(date +%s)
# shellcheck disable=SC2086
timeout "$limit" ${QEMU:-qemu-system-x86_64} $QEMU_BASE -bios /usr/share/qemu/qboot.rom \
    -kernel "$BUILD/fuzz/kernel.elf" -initrd "$BUILD/initrd.var" \
    -append "init=fuzz arg0=$seed arg1=$calls" -display none -serial file:"$log" < /dev/null
code=$?
grep -a '^fuzz: ' "$log" | tail -3
if [ "$code" = 1 ] && grep -aq "fuzz: PASS" "$log"; then
    echo "fuzz: passed in $(( $(date +%s) - start ))s"
    exit 0
fi
case $code in 124) why="hang (watchdog after ${limit}s)" ;; 5) why="kernel panic" ;; *) why="exit $code" ;; esac
echo "fuzz: FAILED ($why), seed $seed; replay with: make fuzz SEED=$seed CALLS=$calls"
grep -a -A40 "PANIC\|FAIL" "$log" | head -60
exit 1
