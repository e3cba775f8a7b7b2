#!/bin/bash
# Boot each guest of the benchmark under one QEMU configuration, keep its
# serial output with a host timestamp on every line, and hand the logs to
# bench/report.awk for the table, CSV, JSON and chart.
#   bench/run.sh           Veneer and Linux, RUNS boots (default 3) per mode
#   bench/run.sh --smoke   Veneer only, quick counts, one run, and fail unless
#                          every Veneer row (POSIX rows too) came out
#   QUICK=1 bench/run.sh   both guests with the quick counts (checks the
#                          Linux side in seconds; the numbers mean nothing)
# Each guest boots three times per run and mode: its native program (Veneer's
# user/bench.c, Linux's bench/linux/init.c), the POSIX suite, one static
# Linux binary on both (bench/posix/pbench.c under Veneer's POSIX libOS, or
# started by Linux's /init), and the disk suite (bench/disk/dbench.c, the
# same way, on a fresh ext4 image on the NVMe disk), the last two with
# POSIX_MEM (default 1G) of RAM, which the libOS needs; the smoke run boots
# Veneer's POSIX and disk suites too.  Then the vf suites (mk/bench_vf.mk):
# an NVMe controller with SR-IOV (BENCH_VF_DEV, fresh images) in place of
# the bench's disk, booted as Veneer's VF-direct libOSes (suite vf),
# Veneer's kernel NVMe driver (suite vfk), the same driver in user/blkd
# (suite vfu, blk=user) and Linux (one boot, all three).
# Then, per run, the scaling rows (user/scale.c, bench/scale.awk): Veneer
# alone, wall clock, booted with -smp 1 and -smp 2 (multi-threaded TCG,
# -accel tcg,thread=multi); their logs are *.scale, kept out of report.awk.
# Then, per run, the network rows (bench/net/boot.sh): wall-clock boots of
# Veneer's native web server (with the NIC in the kernel's home, and with
# net=user in the driver environment's), busybox httpd under Veneer's POSIX libOS and
# busybox httpd under Linux, measured from the host with wrk and a UDP echo
# client (NET_SECS per wrk run, default 5; NET_UDP datagrams, default 1000;
# the smoke and quick runs: 1 s and 50).
# A guest prints a line starting "bench: " only when an operation went
# wrong (a yield that did not switch, a child that failed): that fails the run.
# Called by mk/bench.mk with QEMU, QEMU_BASE (TCG, -cpu max, -m, -smp,
# isa-debug-exit, the machine and the edu device of the irq and dma rows)
# and BUILD.  Two modes per guest:
#   icount  QEMU_BASE + -icount shift=0: rdtsc counts guest instructions
#   wall    QEMU_BASE alone: rdtsc runs at the host TSC rate
# Boots interleave (run 1: veneer icount, linux icount, veneer icount posix,
# linux icount posix, veneer wall, ...)
# so a slow spell of the host does not land on one guest only.
set -u -o pipefail
export LC_ALL=C                 # "." in $EPOCHREALTIME and awk numbers
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-x86_64}
QEMU_BASE=${QEMU_BASE:--accel tcg -cpu max -m 512M -smp 2 -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -device edu,addr=3}
# (-m 512M: the sleep10k rows hold 10,000 vCPUs, each with a reservation of 8 pages)
BIOS=/usr/share/qemu/qboot.rom  # for both guests: Linux boots from qboot too
TIMEOUT=${TIMEOUT:-180}    # seconds per boot; a full Linux icount boot takes ~10
POSIX_MEM=${POSIX_MEM:-1G}  # -m of the POSIX suite's boots, both guests
BENCH_VF_DEV=${BENCH_VF_DEV:-} BENCH_VF_IMG=${BENCH_VF_IMG:-$BUILD/bench/vf-ns}   # mk/bench_vf.mk
out=$BUILD/bench
smoke=0
[ "${1:-}" = --smoke ] && smoke=1

# Kernel arguments.  mk/bench.mk gives QEMU one CPU; Linux also gets
# maxcpus=1, as its secondary-CPU bring-up hangs under -icount on QEMU 7.2
# if -smp is raised; panic=-1 turns a panic into a reboot, which
# -no-reboot makes an exit.
# The POSIX suite: Veneer's libOS runs /bin/pbench with argv "pbench veneer"
# (run=prog,argv...); Linux's /init sees pbench=1 and starts /pbench.
veneer_append="init=bench"
linux_append="console=ttyS0 quiet maxcpus=1 panic=-1"
veneer_posix_append="quiet init=posix run=pbench,pbench,veneer"
# The disk suite (bench/disk/dbench.c): Veneer's POSIX libOS with its root
# on a fresh ext4 image on the NVMe disk; Linux mounts the same kind of
# image from its own initramfs (bench/disk/linux_init.c).
veneer_disk_append="quiet init=posix run=dbench,dbench,veneer,/root,/bin/speedtest1"
# The vf suites (user/vfbench.c, bench/vf/linux_init.c): arg0=1 is quick.
veneer_vf_append="quiet init=vfmgr arg0=0 arg1=5 drv_skip=00:07.0"
veneer_vfk_append="quiet init=vfbench arg0=0"
veneer_vfu_append="quiet init=vfbench arg0=0 blk=user"
linux_vf_append="nvme.poll_queues=1"
# The scaling rows (user/scale.c): booted with -smp 1 and -smp 2.
veneer_scale_append="init=scale"
if [ "$smoke" = 1 ]; then
    runs=1 oses="veneer" veneer_append="init=bench arg0=1" raw=$out/smoke veneer_scale_append="init=scale arg0=1"
    veneer_posix_append="$veneer_posix_append,quick" veneer_disk_append="$veneer_disk_append,quick"
    veneer_vf_append=${veneer_vf_append/arg0=0/arg0=1} veneer_vfk_append=${veneer_vfk_append/arg0=0/arg0=1}
    veneer_vfu_append=${veneer_vfu_append/arg0=0/arg0=1}
    NET_SECS=${NET_SECS:-1} NET_UDP=${NET_UDP:-50}
elif [ "${QUICK:-0}" = 1 ]; then
    runs=${RUNS:-1} oses="veneer linux" raw=$out/quick
    veneer_append="$veneer_append arg0=1" linux_append="$linux_append quick=1" veneer_scale_append="init=scale arg0=1"
    veneer_posix_append="$veneer_posix_append,quick" veneer_disk_append="$veneer_disk_append,quick"
    veneer_vf_append=${veneer_vf_append/arg0=0/arg0=1} veneer_vfk_append=${veneer_vfk_append/arg0=0/arg0=1}
    veneer_vfu_append=${veneer_vfu_append/arg0=0/arg0=1}
    NET_SECS=${NET_SECS:-1} NET_UDP=${NET_UDP:-50}
else
    runs=${RUNS:-3} oses="veneer linux" raw=$out/raw
fi
linux_posix_append="$linux_append pbench=1"
rm -rf "$raw" && mkdir -p "$raw"
. bench/net/boot.sh

# boot <os> <mode> <run> <suite>: one guest boot; its log is
# $raw/<os>-<mode>-<run>.log (suite native) or $raw/<os>-<mode>-<run>-<suite>.log
boot() {
    local os=$1 mode=$2 suite=$4 log=$raw/$1-$2-$3.log t0 code extra=() qbase=$QEMU_BASE
    [ "$mode" = icount ] && extra=(-icount shift=0)
    local guest append
    if [ "$suite" != native ]; then
        log=$raw/$1-$2-$3-$suite.log
        extra+=(-m "$POSIX_MEM")    # after QEMU_BASE's -m: the last one counts
    fi
    case $suite in          # the scaling rows (user/scale.c): N CPUs, multi-threaded TCG
    scale*) log=$raw/$1-$2-$3-$suite.scale
            qbase=${QEMU_BASE/-smp 1 /-smp ${suite#scale} }
            qbase=${qbase/-accel tcg /-accel tcg,thread=multi } ;;
    esac
    if [ "$suite" = disk ]; then    # the same NVMe device, a fresh ext4 image on it
        tools/mkdisk.sh "$out/disk-ext4.img" 128 || exit 1
        qbase=${QEMU_BASE//file=$out\/disk.img,/file=$out\/disk-ext4.img,}
        [ "$qbase" != "$QEMU_BASE" ] || { echo "bench: no $out/disk.img in QEMU_BASE for the disk suite" >&2; exit 1; }
    fi
    if [ "${suite#vf}" != "$suite" ]; then   # the SR-IOV controller instead of the bench's disk
        for i in 1 2 3; do rm -f "$BENCH_VF_IMG$i.img" && truncate -s 16M "$BENCH_VF_IMG$i.img" || exit 1; done
        qbase=${QEMU_BASE/-device nvme,serial=vnbench,drive=bd,addr=7/$BENCH_VF_DEV}
        [ "$qbase" != "$QEMU_BASE" ] || { echo "bench: no bench NVMe in QEMU_BASE for the vf suite" >&2; exit 1; }
    fi
    if [ "$os" = veneer ]; then
        append=$veneer_append
        [ "$suite" = posix ] && append=$veneer_posix_append
        [ "$suite" = disk ] && append=$veneer_disk_append
        [ "$suite" = vf ] && append=$veneer_vf_append
        [ "$suite" = vfk ] && append=$veneer_vfk_append
        [ "$suite" = vfu ] && append=$veneer_vfu_append
        [ "${suite#scale}" != "$suite" ] && append=$veneer_scale_append
        guest=(-kernel "$BUILD/kernel.elf" -initrd "$BUILD/initrd.var" -append "$append")
    else
        append=$linux_append
        [ "$suite" = posix ] && append=$linux_posix_append
        guest=(-kernel "$out/linux/vmlinuz" -initrd "$out/linux/initramfs.cpio" -append "$append")
        [ "$suite" = disk ] && guest=(-kernel "$out/linux/vmlinuz" -initrd "$out/disk/initramfs.cpio" -append "$append")
        [ "$suite" = vf ] && guest=(-kernel "$out/linux/vmlinuz" -initrd "$out/vf/initramfs.cpio" \
                                    -append "$append $linux_vf_append")
    fi
    printf 'bench: %-6s %-6s %-6s run %d/%d ' "$os" "$mode" "$suite" "$3" "$runs" >&2
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "$QEMU" $qbase "${extra[@]}" -bios "$BIOS" "${guest[@]}" \
        -display none -monitor none -serial stdio < /dev/null 2> "$log.qemu" |
        while IFS= read -r line; do
            printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"
        done > "$log"
    code=${PIPESTATUS[0]}
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%5.1fs\n", b - a }' >&2
    # Both guests leave through isa-debug-exit with status 0: QEMU exits 1.
    if [ "$code" != 1 ] || ! grep -q "BENCH os=$os end" "$log"; then
        echo "bench: $os ($mode, $suite) failed: QEMU exit $code; last lines of $log:" >&2
        tail -n 20 "$log" | sed 's/^/    | /' >&2
        tail -n 5 "$log.qemu" | sed 's/^/    qemu| /' >&2
        exit 1
    fi
    if grep -q '^[0-9.]* bench: ' "$log"; then
        echo "bench: $os ($mode, $suite) measured something else than asked:" >&2
        grep '^[0-9.]* bench: ' "$log" | cut -d' ' -f2- | sed 's/^/    | /' >&2
        exit 1
    fi
}

for ((run = 1; run <= runs; run++)); do
    for mode in icount wall; do
        for suite in native posix disk vf vfk vfu; do
            for os in $oses; do
                [ "$os/$suite" = linux/vfk ] || [ "$os/$suite" = linux/vfu ] && continue   # its vf boot has all three suites' rows
                boot "$os" "$mode" "$run" "$suite"
            done
        done
    done
    for os in $oses; do                 # Linux serves both suites' rows at once
        net_boot "$os" native "$run" || exit 1
    done
    net_boot veneer own "$run" || exit 1
    net_boot veneer posix "$run" || exit 1
    net_boot veneer netuser "$run" || exit 1
    for suite in scale1 scale2; do      # wall clock only: -icount is one thread
        boot veneer wall "$run" "$suite"
    done
done
awk -f bench/scale.awk -v require="$smoke" "$raw"/*.scale | tee "$raw/scale.txt" || exit 1

# The smoke and quick runs keep their results apart, in $raw, to leave the
# real ones alone.
[ "$raw" != "$out/raw" ] && res=$raw || res=$out
report=(awk -f bench/report.awk -v out="$res" -v runs="$runs"
        -v qemu="$("$QEMU" --version | head -n 1)" -v qemu_args="$QEMU_BASE")
if [ "$smoke" = 1 ]; then
    "${report[@]}" -v require=veneer "$raw"/*.log "$raw"/*.net
    exit
fi
"${report[@]}" -v release="$(cat "$out/linux/release" 2>/dev/null)" "$raw"/*.log "$raw"/*.net |
    tee "$res/table.txt" || exit 1
if command -v gnuplot > /dev/null; then
    gnuplot -e "dir='$res'" bench/chart.gp && echo "bench: chart $res/bench.png"
else
    echo "bench: no gnuplot, no chart (tools/setup-host.sh bench installs it)"
fi
echo "bench: results in $res/results.csv, $res/results.json, $res/table.txt"
