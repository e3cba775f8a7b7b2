#!/bin/bash
# Count, instruction by instruction, where one kernel path goes: boots the
# kernel under QEMU (one CPU, -icount shift=0 so that time moves with
# instructions as in `make bench`) paused for gdb, lets tools/kstep.py
# single-step it, and prints tools/kstep_report.py's table.
#   tools/kstep.sh [AT [SKIP [PHASES [CMDLINE]]]]
# defaults: after the 12th sys_ipc_reply_recv of `init=bench arg0=1`, an
# IPC round trip (4 phases: call, server, reply, client).  Example: the
# null syscall's general path, 2 phases, from the 1000th sys_page_protect:
#   tools/kstep.sh sys_page_protect 1000 2
set -eu
BUILD=${BUILD:-build}
AT=${1:-sys_ipc_reply_recv} SKIP=${2:-12} PHASES=${3:-4} CMDLINE=${4:-quiet init=bench arg0=1}
PORT=${KSTEP_PORT:-1234}
out=$BUILD/kstep.txt
qemu-system-x86_64 -accel tcg -cpu max -m 512M -smp 1 -no-reboot -nic none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -machine q35,kernel-irqchip=split \
    -device intel-iommu,intremap=on -device edu,addr=2 -bios /usr/share/qemu/qboot.rom \
    -icount shift=0 -display none -serial "file:$BUILD/kstep.serial" \
    -kernel "$BUILD/kernel.elf" -initrd "$BUILD/initrd.var" -append "$CMDLINE" -S -gdb "tcp:127.0.0.1:$PORT" &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT
sleep 1
KSTEP_AT=$AT KSTEP_SKIP=$SKIP KSTEP_PHASES=$PHASES KSTEP_OUT=$out KSTEP_PORT=$PORT \
    timeout 600 gdb -q -batch -x tools/kstep.py "$BUILD/kernel.elf" > "$BUILD/kstep.gdb.log" 2>&1 || true
python3 tools/kstep_report.py "$BUILD/kernel.elf" "$out" --seq
