# busybox ls lists /bin (getdents64, stat) from the boot archive.
cmdline="init=posix run=busybox,ls,/bin"
expect=("(^| )busybox " "(^| )hello_musl " "(^| )motd " "(^| )posix " "env [0-9a-f]+ \(posix\) exited with status 0")
