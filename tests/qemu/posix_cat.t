# busybox cat reads a file of the boot archive through the POSIX libOS's
# read-only file system (openat, fstat, read, close).
cmdline="init=posix run=busybox,cat,/bin/motd"
expect=("Welcome to Veneer. This file comes from the boot archive" "env [0-9a-f]+ \(posix\) exited with status 0")
