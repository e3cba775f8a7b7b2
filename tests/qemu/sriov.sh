# Sourced by the sriov_*.t tests: QEMU 7.2's NVMe controller with SR-IOV
# (docs/devices.md, "One device, several drivers"), its namespace images,
# and the host-side checks they share.

# sriov_images IMG SIZE NS...: fresh zero images IMG.nsN of SIZE (truncate's).
sriov_images() {
    local img=$1 size=$2 ns
    shift 2
    rm -f "$img".ns*
    for ns in "$@"; do truncate -s "$size" "$img.ns$ns"; done
}

# sriov_devices IMG N: QEMU arguments for the PF at 00:05.0 (four VFs at
# most, 8 flexible queues and interrupts to hand out) in a subsystem, with
# namespaces 1..N from IMG.ns1..N: 1 shared (QEMU attaches it to every
# controller), the others private and detached until the manager attaches
# each to one VF's controller.
sriov_devices() {
    local img=$1 n=$2 i
    printf '%s' "-device nvme-subsys,id=subsys0,nqn=subsys0 -device nvme,id=nvme0,serial=vfpf,subsys=subsys0,addr=5"
    printf '%s' ",sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=8,max_ioqpairs=10,msix_qsize=10"
    for i in $(seq 1 "$n"); do
        printf ' %s' "-drive file=$img.ns$i,if=none,id=d$i,format=raw -device nvme-ns,bus=nvme0,drive=d$i,nsid=$i"
        [ "$i" = 1 ] || printf ',shared=off,detached=on'
    done
}

# sriov_halted: wait up to 50 s for the guest's halt line in $log.
sriov_halted() {
    local i
    for i in $(seq 100); do grep -q "veneer: halting" "$log" && break; sleep 0.5; done
    grep -q "veneer: halting" "$log" || { echo "no halt"; return 1; }
}

# sriov_untouched IMG NS...: each namespace image is still all zero.
sriov_untouched() {
    local img=$1 ns
    shift
    for ns in "$@"; do
        python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(d != bytes(len(d)))' "$img.ns$ns" ||
            { echo "ns$ns: WRITTEN"; return 1; }
        echo "ns$ns: untouched"
    done
}
