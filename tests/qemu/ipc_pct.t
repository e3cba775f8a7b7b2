# Protected control transfer: round trips with and without a capability,
# missing entry rights, granting what one does not hold, callees that
# fault, exit or never reply, a server killed from another CPU while four
# clients stream calls at it (the IPC fast path racing the kill), many
# concurrent clients on all CPUs.
cmdline="init=ipc_pct"
timeout=90
expect=("ipc_pct: PCT round trip [0-9]+ ticks" "ipc_pct: [0-9]+ of 20 clients streaming calls when their server was killed" "ipc_pct: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
