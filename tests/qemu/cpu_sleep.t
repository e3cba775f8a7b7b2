# Sleeping and waking: timeouts on the syscall-free clock, predicates on a
# word written by another environment, env_wake, bad arguments.
cmdline="init=cpu_sleep"
timeout=60
expect=("cpu_sleep: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
