# Debian's busybox-static (glibc, unmodified, fetched by the build) runs
# its echo applet under the POSIX libOS: glibc's static start-up (brk,
# TLS, RELRO mprotect, getrandom, clock) served by syscall reflection.
cmdline="init=posix run=busybox,echo,hello+from+Debian's+busybox-static"
expect=("hello from Debian's busybox-static" "env [0-9a-f]+ \(posix\) exited with status 0"
        "free pages ([0-9]+) before, \1 after")
