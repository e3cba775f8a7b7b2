# Preemption of environments that never yield (a hostile spinner cannot
# stop others, a sleeper wakes on time), fairness between equal shares,
# 3x shares get about 3x, directed yield.
cmdline="init=cpu_preempt"
timeout=60
expect=("cpu_preempt: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
