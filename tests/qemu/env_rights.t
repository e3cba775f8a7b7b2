# One right per power on environments (run, wake, upcalls, table, control) and badged endpoints.
cmdline="init=env_rights"
timeout=90
expect=("env_rights: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
