# Calls from any thread: tests/linux/t_thread_calls.c (malloc in 4 threads
# up to 1 MiB blocks, mmap/mprotect/mremap/munmap, threads of threads, fork
# and execve from a thread, copy-on-write written by two threads after a
# fork, a file, a pipe and a UDP socket) under the POSIX libOS on two CPUs, and four (posix_t_thread_calls_smp4).
variants=("smp=4")   # also on four CPUs (<name>_smp4)
machine=q35
cmdline="init=posix run=t_thread_calls"
qemu_extra="-m 1G -smp 2 -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=120
expect=("netd: 10.0.2.15/24" "t_thread_calls: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
