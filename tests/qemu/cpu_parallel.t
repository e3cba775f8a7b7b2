# A parallel counter across all CPUs: exact total, environments on more
# than one CPU at once.
cmdline="init=cpu_parallel"
timeout=60
expect=("cpu_parallel: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
