# env_wake_word: waking sleepers by a shared word's address (no capability
# to them), with NULL, unaligned, kernel and unmapped words refused.  One
# CPU, so that no idle CPU's predicate polling can wake the child first.
cmdline="init=cpu_wake_word"
qemu_extra="-smp 1"
expect=("cpu_wake_word: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
