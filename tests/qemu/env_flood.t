# Hostile: create environments until refused; destroying them returns
# every page and the kernel still runs children afterwards.
cmdline="init=env_flood"
qemu_extra="-m 1G"   # the slot table fills first: 16,384 environments of 8 pages
timeout=60
expect=("env_flood: created [0-9]+ environments, then E_NOSPC" "env_flood: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
