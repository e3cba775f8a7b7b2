# Hostile (issue 12, hole 5): a child killed inside env_wait (repossession
# at the revocation deadline, still over quota), with a vCPU of it running
# on another CPU, stays dead: killed once, reported killed, no page lost.
# At ae6c817 its timeout woke the dead environment and it was torn down
# twice (page_free: bad or double free).  Looped 30 times in one boot.
cmdline="init=env_wait_kill"
timeout=60
expect=("env_wait_kill: all checks passed" "still over quota" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "killed: page fault")
