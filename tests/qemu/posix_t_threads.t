# Threads: tests/linux/t_threads.c (musl pthreads: 100 threads, producer/
# consumer and a thread pool on condition variables, futex timeouts and
# EAGAIN, tgkill, thread exit, exit_group from a thread) under the POSIX
# libOS on two CPUs, and on four (posix_t_threads_smp4); every check must
# pass.
variants=("smp=4")
ncpus=2
[ "$variant" = smp=4 ] && ncpus=4
cmdline="init=posix run=t_threads"
qemu_extra="-m 1G -smp 2"
timeout=120
expect=("# cpus $ncpus" "t_threads: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
