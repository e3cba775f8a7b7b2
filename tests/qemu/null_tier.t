# Hostile: the lock-free tier of the null syscall.  A child spinning on
# vn_null() on another CPU still gets its revocation upcall and is still
# killed; the tier's calls are counted.  Looped 20 times in one boot.
cmdline="init=null_tier"
timeout=60
expect=("null_tier: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
