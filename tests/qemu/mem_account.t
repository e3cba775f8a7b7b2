# Shared quota accounts (env_create_shared, tests/user/mem_account.c):
# pages charged when used to the child and its creator's account; limits
# hold; a tree of sharers cannot pass the account; stale, forged and
# weakened capabilities are refused; sharers charging after their account
# died leave no charge behind and no page lost.
cmdline="init=mem_account"
expect=("mem_account: sharers got [0-9]+ and [0-9]+ pages of an account of 700" "mem_account: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic")
