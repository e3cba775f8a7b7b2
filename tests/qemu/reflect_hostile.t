# Hostile (the reflected syscall's fast path): a reflected call from
# inside its own handler, an unmapped or read-only upcall stack, a handler
# entry at an unmapped address, and a stack pointer in the kernel half or
# non-canonical: the kernel kills the first three, the others end by
# their own fault handler (5 rounds each); a sibling's reflected calls
# keep working; a vCPU's reflected calls are all served while its owner
# keeps switching its upcall on the other CPU; no page is lost.
cmdline="init=reflect_hostile"
timeout=60
expect=("reflect_hostile: 30 of 30 ended as they must, the sibling.s reflected calls and the upcall race all right" "reflect_hostile: all checks passed"
        "fault inside its own upcall handler" "upcall stack [0-9a-f]+ unusable" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic")
