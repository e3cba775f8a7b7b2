# Hostile (issue 12, hole 3): env_wake on an environment waiting in IPC
# (awaiting a reply, in ipc_recv, queued behind a busy callee) returns 0
# and changes nothing; the calls then complete in order with their own
# replies.  At ae6c817 the woken queued caller was linked behind itself
# and the next caller hung the kernel (lock held): a timeout here.
cmdline="init=ipc_wake_queued"
timeout=30
expect=("ipc_wake_queued: all checks passed" "the kernel is alive" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
