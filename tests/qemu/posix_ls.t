# busybox ls lists /bin (getdents64, stat) from the boot archive.
cmdline="init=posix arg0=3"
expect=("^busybox" "^hello_musl" "^motd" "^posix" "env [0-9a-f]+ \(posix\) exited with status 0")
