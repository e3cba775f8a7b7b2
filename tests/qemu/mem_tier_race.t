# The shared tier (kernel/klock.h) under fire on four CPUs: private pages
# faulted in and freed, shared pages mapped and unmapped by five
# environments at once while their capabilities are revoked and granted
# again under the big lock.  No frame is seen by two at once or reused
# before it is free, no increment is lost, and every page comes back.
cmdline="init=mem_tier_race"
qemu_extra="-smp 4"
timeout=120
expect=("mem_tier_race: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
