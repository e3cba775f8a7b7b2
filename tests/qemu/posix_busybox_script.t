# Busybox applets driven by busybox sh on the in-memory file system:
# redirection, exit statuses, pipelines (sort, uniq, wc, grep, sed, awk,
# head, tail, cut, tr), loops and command substitution, cp/mv/rm/ls, tar
# create/list/extract, background jobs with wait.  The output must equal
# tests/linux/busybox_script.expected exactly.
variants=("smp=4")   # also on four CPUs (<name>_smp4)
cmdline="quiet init=posix run=busybox,sh,-c,echo+==begin==;sh+/bin/busybox_script.sh|cat;echo+==end=="
qemu_extra="-m 1G"
timeout=120
expect_file=tests/linux/busybox_script.expected
expect=("env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented")
