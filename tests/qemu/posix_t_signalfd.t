# Conformance: tests/linux/t_signalfd.c (passes on Linux too) under the
# POSIX libOS: signalfd blocked signals read as records, poll,
# epoll, SIGCHLD, a new mask, fork, the errors (lib/posix/signalfd.c).
cmdline="init=posix run=t_signalfd"
qemu_extra="-m 1G"
timeout=90
expect=("t_signalfd: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
