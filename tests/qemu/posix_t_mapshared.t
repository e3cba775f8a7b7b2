# Conformance: tests/linux/t_mapshared.c (passes on Linux too) under the
# POSIX libOS: writable MAP_SHARED file mappings written back at msync,
# munmap and exit, shared with a forked child (lib/posix/fmap.c).
cmdline="init=posix run=t_mapshared"
qemu_extra="-m 1G"
timeout=90
expect=("t_mapshared: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
