# Threads: tests/linux/t_threads.c (musl pthreads: 100 threads, producer/
# consumer and a thread pool on condition variables, futex timeouts and
# EAGAIN, tgkill, thread exit, exit_group from a thread) under the POSIX
# libOS on two CPUs; every check must pass.
cmdline="init=posix run=t_threads"
qemu_extra="-m 1G -smp 2"
timeout=120
expect=("# cpus 2" "t_threads: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
