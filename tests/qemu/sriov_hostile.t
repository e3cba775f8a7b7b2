# SR-IOV VF libOSes gone bad (user/vfmgr.c's hostile run, user/vfapp.c's
# attacks): VF 1's libOS issues Virtualization Management, Namespace
# Attachment of VF 2's namespace and Firmware Commit (its controller
# refuses each; QEMU 7.2 does accept attaching a free namespace to the
# VF's own controller, asserted as it is and undone), reads VF
# 2's namespace (not attached: refused), reads into an IOVA outside its
# domain (an IOMMU fault, nothing written; QEMU 7.2 still reports success)
# and finds no capability to the PF; then it writes until it is killed.  The kernel resets
# its VF, the manager takes the controller offline, brings it back and
# hands it to a new libOS that writes 2 MiB, while VF 2's libOS writes its
# 4 MiB all along.  The host checks the images afterwards.
. tests/qemu/sriov.sh
machine=q35
cmdline="init=vfmgr arg0=0 arg1=1 drv_skip=00:05.0"
timeout=240
img=$BUILD/sriov_hostile
sriov_images "$img" 4M 1 2 3 4
qemu_extra="$(sriov_devices "$img" 4)"
expect=("vfapp: Virtualization Management \(offline the other VF\) from a VF: refused, status 0x[0-9a-f]+"
        "vfapp: Namespace Attachment \(the other's namespace\) from a VF: refused"
        "vfapp: Namespace Attachment of free namespace 4 from a VF: accepted by QEMU 7.2 \(0\), detached \(0\)"
        "vfapp: Firmware Commit from a VF: refused"
        "vfapp: read of the other VF's namespace 3: refused by the controller"
        "iommu: fault: 00:05.1"
        "vfapp: read into an IOVA outside its domain: 0, IOMMU faults of 00:05.1 0 -> [1-9]" "vfapp 1: writing until killed"
        "vfapp: no capability to the PF or any other device \(0\)"
        "vfmgr: VF 1's libOS killed mid-write: the kernel reset the VF, controller 1 offline"
        "vfapp 1: read back 2048 KiB, content checked" "vfmgr: VF 1 handed to a new libOS: status 0"
        "vfapp 2: wrote 4096 KiB in [0-9]+ ms: [0-9]+ KiB/s" "vfapp 2: read back 4096 KiB, content checked"
        "vfmgr: vfapp 2 kept going: status 0"
        "vfmgr: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic" "iommu: fault: 00:05.2" "misbehaves")
client_ready="vfmgr: all checks passed"
client() {
    sriov_halted || return 1
    python3 - "$img" <<'PY'
import sys
base = sys.argv[1]
def want(vfn, n):
    return bytes(((vfn * 37) ^ (o >> 12) ^ (o * 7) ^ 0x5c) & 0xff for o in range(n))
d2 = open(base + ".ns2", "rb").read()
d3 = open(base + ".ns3", "rb").read()
ok2 = d2[:2 << 20] == want(1, 2 << 20)
ok3 = d3 == want(2, 4 << 20)
print("ns2: the new VF 1 libOS's 2 MiB %s" % ("as written" if ok2 else "WRONG"))
print("ns3: VF 2's 4 MiB %s" % ("as written" if ok3 else "WRONG"))
ok = ok2 and ok3
for ns in (1, 4):
    d = open("%s.ns%d" % (base, ns), "rb").read()
    print("ns%d: %s" % (ns, "untouched" if d == bytes(len(d)) else "WRITTEN"))
    ok &= d == bytes(len(d))
sys.exit(0 if ok else 1)
PY
}
