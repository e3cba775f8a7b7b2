# User-level threads on scheduler activations: preemptive round robin of
# threads that never yield, a mutex held across preemptions, condition
# variables in a bounded queue.
cmdline="init=cpu_threads"
timeout=60
expect=("cpu_threads: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
