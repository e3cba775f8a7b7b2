# Conformance: tests/linux/t_forktree.c under the POSIX libOS: a chain
# 120 deep, 300 children alive at once, and fork exhaustion that ends in
# EAGAIN/ENOMEM while every other process keeps running.
cmdline="init=posix run=t_forktree"
qemu_extra="-m 1G"
timeout=240
expect=("t_forktree: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "panic")
