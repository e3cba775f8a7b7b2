# The cost of an environment switch and of an activation upcall (numbers
# meaningful under -icount; here only that the measurement works).
cmdline="init=cpu_costs"
timeout=60
expect=("cpu_costs: environment switch" "cpu_costs: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
