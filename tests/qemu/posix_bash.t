# Debian's bash-static (glibc, unmodified: tools/get-deb-file.sh) runs
# tests/linux/bash_suite.sh: functions, recursion through command
# substitution, arrays, here-documents and here-strings, read loops,
# process substitution (/dev/fd/N), subshells in loops, traps (EXIT,
# ERR, RETURN, a signal), background jobs with $! and wait.  Its output
# (stderr too) must equal the same script's output under the host's bash,
# made here.  The script is sourced with `.`, so the shell is the first
# process and the nesting is the script's own.
# FORK_DEPTH: fact's recursion depth, 20 nested processes (a quota is a
# limit now, not a reservation: docs/posix.md's memory policy).
variants=("smp=4")   # also on four CPUs (<name>_smp4)
fork_depth=20
want=$BUILD/bash_suite.expected
(FORK_DEPTH=$fork_depth; echo ==begin==; . tests/linux/bash_suite.sh; echo ==end==) 2>&1 | sed '1d;$d' > "$want"
grep -qx "bash suite done" "$want" || echo "posix_bash: the host's bash did not finish the script" >&2
cmdline="quiet init=posix run=bash,bash,-c,echo+==begin==;FORK_DEPTH=$fork_depth;.+/bin/bash_suite.sh;echo+==end=="
qemu_extra="-m 1G"
timeout=180
expect_file=$want
expect=("^bash suite done" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "Resource temporarily unavailable")
