# In-kernel: every free page can be taken exactly once and all come back.
cmdline="ktest=page_alloc"
expect=("ktest page_alloc: [0-9]+ pages taken and returned, none twice" "ktest page_alloc: PASS")
