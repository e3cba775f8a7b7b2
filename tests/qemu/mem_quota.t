# Visible revocation: a cooperative child gives pages back when the
# revoke upcall asks; a deaf one has them repossessed by force, recorded
# in its envinfo page.
cmdline="init=mem_quota"
expect=("child: gave back [0-9]+ pages when asked" "repossessed [0-9]+ pages" "child: kernel repossessed [0-9]+ pages"
        "repossessed while stalling in the revoke handler" "repossessed without ever entering the kernel"
        "mem_quota: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
