# Hostile (found with issue 12, hole 7): one page mapped 16384 times; the
# largest accepted page_protect and page_unmap over those mappings, and
# deleting a capability behind half of them, must not keep a syscall on another
# CPU waiting 100 ms.  At ae6c817 bind.c walks the frame's whole reverse
# map for each page (VN_RANGE_MAX * NMAP steps per call, quadratic
# when a capability with many of them is deleted).
cmdline="init=lock_bounded_rmap"
timeout=60
expect=("lock_bounded_rmap: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
