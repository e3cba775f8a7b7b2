# Protected control transfer: round trips with and without a capability,
# missing entry rights, granting what one does not hold, callees that
# fault, exit or never reply, many concurrent clients on all CPUs.
cmdline="init=ipc_pct"
timeout=90
expect=("ipc_pct: PCT round trip [0-9]+ ticks" "ipc_pct: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
