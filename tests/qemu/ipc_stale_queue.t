# Hostile (issue 12, hole 1): a caller destroyed while queued on a busy
# callee leaves the queue; after its slot is reused, the callee's next
# ipc_recv must not deliver a "call" from the newcomer (nor a capability
# to it), and no stray environment capability may appear in its table.
cmdline="init=ipc_stale_queue"
timeout=60
expect=("ipc_stale_queue: all checks passed" "its slot reused" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
