# The cost of an environment switch and of an activation upcall (numbers
# meaningful under -icount; here only that the measurement works), and
# slice-end warnings delivered through the scheduling upcall.
cmdline="init=cpu_costs"
timeout=60
expect=("cpu_costs: environment switch" "cpu_costs: [1-9][0-9]* slice-end warnings" "cpu_costs: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
