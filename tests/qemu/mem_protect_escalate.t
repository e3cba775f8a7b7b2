# Hostile (issue 12, hole 6): a child cannot make writable a read-only
# mapping its parent made into it with the parent's writable capability
# (E_PERM, the page stays read-only, the parent's data unchanged); an
# environment's own mappings made with its own writable capability can
# still be protected and unprotected.
cmdline="init=mem_protect_escalate"
expect=("mem_protect_escalate: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
