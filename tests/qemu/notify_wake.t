# Hostile (issue 12, hole 4): env_wake on a notify_wait sleeper returns 0
# and leaves it waiting; the later notify_signal delivers the bits to it.
# At ae6c817 the signal re-woke a running environment, which then ran on
# two CPUs at once and its exit panicked.  Needs -smp 2 or more.
cmdline="init=notify_wake"
expect=("notify_wake: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
