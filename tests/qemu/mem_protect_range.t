# Hostile: page_protect over ranges across 2 MiB regions is all or none
# (a hole, a read-only binding or exposed data anywhere fails with nothing
# changed) and keeps frames and data.
cmdline="init=mem_protect_range"
expect=("mem_protect_range: all checks passed")
reject=("FAIL")
