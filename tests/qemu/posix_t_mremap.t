# Conformance: tests/linux/t_mremap.c (passes on Linux too) under the
# POSIX libOS: mremap grow (in place, moving), shrink, MREMAP_FIXED,
# rights and copy-on-write kept, the errors (lib/posix/mremap.c).
cmdline="init=posix run=t_mremap"
qemu_extra="-m 1G"
timeout=90
expect=("t_mremap: [0-9]+ checks, 0 failed" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not ok" "not implemented")
