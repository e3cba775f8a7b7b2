# Notifications: a flood with none lost, poll, timeout, rights.
cmdline="init=ipc_notify"
timeout=90
expect=("ipc_notify: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
