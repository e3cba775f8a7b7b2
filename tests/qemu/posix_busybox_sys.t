# Busybox applets that look at the system: dd from /dev/zero, find over
# /proc (a process's directory), df (statfs and /proc/mounts), ps, free,
# uptime, uname; file times are wall-clock times.
cmdline="quiet init=posix run=busybox,sh,-c,dd+if=/dev/zero+of=/tmp/z+bs=1024+count=100;ls+-l+/tmp/z;find+/proc/1;df+/;ps;free;uptime;uname+-sm;ls+-l+--full-time+/tmp/z"
qemu_extra="-m 1G"
expect=("100\+0 records out" "root +102400 .* /tmp/z" "^/proc/1/cmdline" "^veneerfs +4096 " "PID +USER +COMMAND"
        "^ +1 root +\{busybox\} sh -c dd if=/dev/zero" "^Mem: " "up .* load average" "^Linux x86_64" " $(date -u +%Y)-[0-9]+-[0-9]+ [0-9:.]+ \+0000 /tmp/z"
        "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented")
