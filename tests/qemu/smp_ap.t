# A CPU that does not come up is reported and left out, never a hang
# (issue 13, item 5).  smp_test=dead (kernel/arch/x86_64/smp.c) sends the
# first AP no INIT/SIPI, as if it never started: the boot CPU waits its
# 2 s, says so, starts no further CPU and runs busybox on its own.  The
# _late variant (-smp 4) gives up on the first AP before its SIPI: the AP
# starts, finds itself abandoned (the boot CPU and an AP agree by
# compare-and-swap) and parks itself halted; it never runs an environment
# and no further CPU is started.  Either way no CPU but 0 may take a timer
# interrupt.
variants=("smp_test=late")
cmdline="${variant:-smp_test=dead} quiet init=posix run=busybox,sh,-c,echo+forked+\$(echo+ok);exit+0"
timeout=60
expect=("smp: CPU with APIC id [0-9]+ (did not start|started after we gave up on it: parked); no more CPUs started" "forked ok"
        "env [0-9a-f]+ \(posix\) exited with status 0")
expect+=("smp: 1 CPU\s*$")
reject=("^cpu [1-9]: ")
[ -n "$variant" ] || expect+=("smp: CPU with APIC id 1 did not start; no more CPUs started")
[ -z "$variant" ] || { qemu_extra="-smp 4"; expect+=("smp: CPU with APIC id 1 started after we gave up on it: parked; no more CPUs started"); }
