# Hostile memory operations: forged/stale/wrong-type/revoked capabilities,
# kernel and exposed addresses, rights amplification, writes to the
# read-only page-table view and page records, bad pointers to every
# pointer-taking syscall; all refused, nothing leaked.
cmdline="init=mem_hostile"
expect=("mem_hostile: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
