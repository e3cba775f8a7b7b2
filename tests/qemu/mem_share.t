# page_share: a page outlives the environment that allocated it, charged
# to the one that holds a root; roots are independent; hostile shares
# (rights, kernel memory, no grant right, quota, dead target) are refused.
cmdline="init=mem_share"
expect=("mem_share: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
