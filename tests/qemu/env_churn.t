# A thousand environments created, run and destroyed, with no leaked page.
cmdline="init=env_churn"
timeout=120
expect=("env_churn: 1000 environments, 1000 ended as expected" "env_churn: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
