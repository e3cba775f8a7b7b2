# Hostile: reading the kernel image and writing the physmap from ring 3
# kill only the offender; later programs still run.
cmdline="init=init,fault_kread,fault_kwrite,hello"
expect=("\(fault_kread\) killed: page fault \(not-present read\) at address ffffffff80200000"
        "\(fault_kwrite\) killed: page fault \(protection write\) at address ffff800000100000"
        "hello: still running after the others" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
