# Hostile: exhaust one's memory; allocation fails cleanly and a child
# with a reserved quota is unaffected.
cmdline="init=mem_exhaust"
timeout=60
expect=("mem_exhaust: allocated [0-9]+ pages in [0-9]+ capabilities, then E_(QUOTA|NOMEM)" "exited with status 0" "mem_exhaust: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
