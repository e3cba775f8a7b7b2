# Hostile: create environments until refused; destroying them returns
# every page and the kernel still runs children afterwards.
cmdline="init=env_flood"
timeout=60
expect=("env_flood: created [0-9]+ environments, then E_(NOSPC|QUOTA|NOMEM)" "env_flood: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
