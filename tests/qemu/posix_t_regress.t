# Conformance: tests/linux/t_regress.c, regressions found in review (COW of
# read-only pages, restart rules, stop/continue, ppoll masks, exec limits,
# /proc leaks, SIGCHLD ignored) under the POSIX libOS.
variants=("smp=4")   # also on four CPUs (<name>_smp4)
cmdline="init=posix run=t_regress"
qemu_extra="-m 1G"
timeout=60
expect=("t_regress: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok")
