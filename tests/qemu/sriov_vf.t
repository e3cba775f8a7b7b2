# Two libOSes on two SR-IOV virtual functions of one NVMe controller
# (user/vfmgr.c, user/vfapp.c): the manager holds the PF (drv_skip),
# enables two VFs, gives each controller its queues and interrupts, brings
# it online, attaches its private namespace and detaches the shared one,
# and spawns a vfapp per VF; both write 2 MiB to their own namespaces at
# the same time through their own drivers, read it back and report their
# throughput.  Afterwards the host checks every namespace image: each
# VF's holds its own pattern and nothing of the other's, the PF's shared
# namespace and the unused private one are untouched.
. tests/qemu/sriov.sh
machine=q35
cmdline="init=vfmgr drv_skip=00:05.0"
timeout=240
img=$BUILD/sriov_vf
sriov_images "$img" 4M 1 2 3 4
qemu_extra="$(sriov_devices "$img" 4)"
expect=("vfmgr: primary controller 0: 8 flexible queues"
        "vfmgr: controller 1: .* online, namespace 2 attached" "vfmgr: controller 2: .* online, namespace 3 attached"
        "vfapp 1: VF 00:05.1 driven in user space, namespace 2 only" "vfapp 2: VF 00:05.2 driven in user space, namespace 3 only"
        "vfapp 1: wrote 2048 KiB in [0-9]+ ms: [0-9]+ KiB/s" "vfapp 2: wrote 2048 KiB in [0-9]+ ms: [0-9]+ KiB/s"
        "vfapp 1: read back 2048 KiB, content checked" "vfapp 2: read back 2048 KiB, content checked"
        "vfmgr: vfapp 1 ended \(status 0\), controller 1 offline" "vfmgr: vfapp 2 ended \(status 0\), controller 2 offline"
        "vfmgr: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault" "misbehaves")
client_ready="vfmgr: all checks passed"
client() {
    sriov_halted || return 1
    python3 - "$img" <<'PY'
import sys
base = sys.argv[1]
n = 2048 * 1024
def want(vfn):
    return bytes(((vfn * 37) ^ (o >> 12) ^ (o * 7) ^ 0x5c) & 0xff for o in range(n))
ok = True
for ns, vfn in ((2, 1), (3, 2)):
    d = open("%s.ns%d" % (base, ns), "rb").read()
    good = d[:n] == want(vfn) and d[n:] == bytes(len(d) - n)
    print("ns%d: VF %d's 2 MiB %s, the rest %s" % (ns, vfn, "as written" if d[:n] == want(vfn) else "WRONG",
          "zero" if d[n:] == bytes(len(d) - n) else "WRITTEN"))
    ok &= good
for ns in (1, 4):
    d = open("%s.ns%d" % (base, ns), "rb").read()
    print("ns%d: %s" % (ns, "untouched" if d == bytes(len(d)) else "WRITTEN"))
    ok &= d == bytes(len(d))
sys.exit(0 if ok else 1)
PY
}
