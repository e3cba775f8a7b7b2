# TLB shootdown: a vCPU of the same address space keeps reading a page on
# another CPU while this one unmaps and frees it: it faults, never reads
# the freed frame.
cmdline="init=cpu_tlb"
timeout=60
expect=("cpu_tlb: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
