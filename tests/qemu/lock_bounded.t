# Hostile (issue 12, hole 7): while a child makes the largest calls the
# kernel accepts (page_protect and page_unmap of VN_RANGE_MAX pages, a huge
# cons_write), a null syscall on another CPU never waits 100 ms; larger
# page counts are refused with E_INVAL and cons_write is a short write of
# at most VN_CONS_WRITE_MAX bytes.  At ae6c817 one page_unmap of 1 << 24
# pages held the kernel lock for about half a second.
cmdline="init=lock_bounded"
timeout=60
expect=("lock_bounded: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
