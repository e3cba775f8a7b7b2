# Conformance: tests/linux/t_fd.c (a static musl program checking its
# results) under the POSIX libOS; every check must pass.
cmdline="init=posix run=t_fd"
qemu_extra="-m 1G"
timeout=60
expect=("t_fd: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok")
