# The shared tier's IPC switch under fire on four CPUs: five clients call
# one server at once through their own badged endpoints (some with a
# timeout or a capability to transfer, which take the big lock) while the
# server is killed and replaced 29 times.  Every reply answers its own
# call, a dead server's calls fail cleanly, and every page comes back.
cmdline="init=ipc_tier_race"
qemu_extra="-smp 4"
timeout=120
expect=("ipc_tier_race: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
