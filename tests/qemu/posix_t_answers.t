# Conformance: tests/linux/t_answers.c (issue 13's wrong answers: SEGV
# codes, setpgid across sessions, SIG_IGN of a pending signal, execve
# with NULL vectors, /proc/<pid>/cmdline after execve) under the POSIX
# libOS; every check must pass, as on Linux.
cmdline="init=posix run=t_answers"
qemu_extra="-m 1G"
timeout=60
expect=("t_answers: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok")
