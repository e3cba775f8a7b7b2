# Hostile: a jump to a non-canonical address, and the sysret trap (a
# syscall whose return address is non-canonical, on the general path and
# as `null` on the lock-free tier), are the program's own faults; the
# kernel never faults in ring 0 and keeps running.
cmdline="init=init,fault_noncanon,sysret_noncanon,hello"
expect=("\(fault_noncanon\) killed: general protection .* at rip 8000000000000000"
        "syscall 4096 at 0x7ffffffffffe"
        "\(sysret_noncanon\) killed: general protection: non-canonical or kernel rip 800000000000"
        "syscall 3 at 0x7ffffffffffe"
        "hello: still running after the others" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
