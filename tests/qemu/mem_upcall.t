# User-level exceptions: demand paging, protection faults fixed by the
# handler (Appel-Li prot1/prot100/unprot100/trap/appel1/appel2), other
# exceptions resumed, registers and red zone preserved.
cmdline="init=mem_upcall"
expect=("mem_upcall: rdtsc per op" "mem_upcall: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
