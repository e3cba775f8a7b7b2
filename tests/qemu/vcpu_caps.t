# vCPUs share their space's capability table (slot CAP_SELF apart): what a
# thread makes is the space's, charged to its owner, outlives the thread,
# and a vCPU killed mid-way leaves the table consistent and no page lost.
cmdline="init=vcpu_caps"
timeout=60
expect=("vcpu_caps: all checks passed" "0 pages unaccounted|[1-4] pages unaccounted")
reject=("FAIL" "panic")
