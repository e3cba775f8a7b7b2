# The POSIX libOS takes its command line from the kernel's (run=...):
# busybox wc counts the bytes of a file of the boot archive.
cmdline="init=posix run=busybox,wc,-c,/bin/motd"
expect=("^112 /bin/motd" "env [0-9a-f]+ \(posix\) exited with status 0")
