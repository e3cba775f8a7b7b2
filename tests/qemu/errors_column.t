# The errors-column check of the fuzzing kernel on a program whose calls
# sleep and are woken with errors (ipc_call timing out queued and in flight,
# failing with E_DEAD when the callee dies, E_DEADLK): every result, direct
# or delivered on wake-up, must be in its row of syscalls.tbl, or the
# kernel panics ("syscall ... not in its errors column").
kernel=fuzz/kernel.elf
cmdline="init=ipc_pct"
timeout=120
expect=("ipc_pct: all checks passed" "veneer: [0-9]+ invariant audits passed")
reject=("FAIL" "errors column")
