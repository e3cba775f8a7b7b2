# Conformance: tests/linux/t_timerfd.c (passes on Linux too) under the
# POSIX libOS: timerfd one-shot, periodic and absolute timers, read,
# poll and epoll, disarming, fork, the errors (lib/posix/timerfd.c).
cmdline="init=posix run=t_timerfd"
qemu_extra="-m 1G"
timeout=90
expect=("t_timerfd: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
