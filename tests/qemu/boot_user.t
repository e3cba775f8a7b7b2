# Boot reaches user mode: the first environment prints through cons_write
# and exits 0; the kernel then halts with the pass code and no leak.
cmdline="init=init"
expect=("Veneer exokernel" "SMEP on, SMAP on" "init: hello from user mode \(ring 3\)"
        "exited with status 0" "free pages ([0-9]+) before, \1 after")
