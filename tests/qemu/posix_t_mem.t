# Conformance: tests/linux/t_mem.c (a static musl program checking its
# results) under the POSIX libOS; every check must pass.
variants=("smp=4")   # also on four CPUs (<name>_smp4)
cmdline="init=posix run=t_mem"
qemu_extra="-m 1G"
timeout=60
expect=("t_mem: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok")
