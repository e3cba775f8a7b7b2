# Hostile: kernel, physmap, non-canonical, unmapped, NULL and wrapping
# pointers passed to a syscall get E_FAULT; bad numbers get E_NOSYS.
cmdline="init=bad_pointers"
expect=("bad_pointers: all refused" "still alive")
reject=("FAIL")
