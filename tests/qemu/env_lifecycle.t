# Environments built from user space: exit status, death by fault,
# destruction through a capability, revocation of a granted page (the
# child's mapping vanishes), faults inside the handler and an unusable
# upcall stack kill only the child; free pages return exactly each time.
cmdline="init=env_lifecycle"
expect=("env_lifecycle: all checks passed" "\(child\) killed: page fault" "fault inside its own upcall handler"
        "upcall stack 500000000 unusable" "destroyed by env" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
