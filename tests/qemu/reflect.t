# Syscall reflection (foreign syscall numbers served by the libOS's upcall
# and returned without re-entering the kernel) and user TLS bases kept
# across environment switches: the kernel's part of running Linux programs.
cmdline="init=reflect"
expect=("reflect: hello through a reflected Linux write" "reflect: [0-9]+ ticks per reflected syscall"
        "reflect: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
