# A shared-memory ring under preemption: 2 MiB, every byte checked.
cmdline="init=ipc_ring"
timeout=90
expect=("ipc_ring: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
