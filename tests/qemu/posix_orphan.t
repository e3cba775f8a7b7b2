# Orphans keep running: a shell starts a background job and exits at
# once; its environment lingers (empty) while the job runs, the job is
# handed to init (pid 1), finishes and prints, and init reaps it.
cmdline="quiet init=posix run=busybox,sh,-c,sh+-c+'(sleep+1;echo+orphan-done;exit+5)&+echo+parent-gone';wait;sleep+2;echo+init-done"
qemu_extra="-m 1G"
expect=("parent-gone" "orphan-done" "init-done" "env [0-9a-f]+ \(posix\) exited with status 0")
