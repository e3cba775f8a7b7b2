# Hostile (issue 12, hole 2): pointers into the page-table window (VN_UVPT)
# and the exposed kernel data, and ranges running into them, are refused
# with E_FAULT by every syscall that takes a user pointer; mapped pages
# right next to them still work.
cmdline="init=bad_pointers_window"
expect=("bad_pointers_window: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
