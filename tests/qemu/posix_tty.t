# The interactive shell on the console tty.  busybox sh's own line editor
# (raw mode) reads commands; programs read in canonical mode through the
# libOS's line discipline (erase, ^D for end of file).  A pipeline, a
# background job seen by ps and ended by kill %1, ^C interrupting a
# foreground sleep (status 130), ^Z stopping one (jobs shows it; kill -9
# ends it), and exit ends the session with its status.
cmdline="quiet init=posix"
qemu_extra="-m 1G"
timeout=120
result=fail         # the shell exits with status 3
input='sleep 4; printf "echo typo\177\177\177\177ok-typed | tr a-z A-Z\n"; sleep 2;
       printf "read v; echo \"got=\$v\"\n"; sleep 1; printf "xy\177z\n"; sleep 1;
       printf "cat > /tmp/f\n"; sleep 1; printf "line one\n"; sleep 1; printf "\004"; sleep 1;
       printf "cat /tmp/f | wc -l\n"; sleep 1;
       printf "sleep 30 &\n"; sleep 2; printf "ps\n"; sleep 2;
       printf "kill %%1; wait; echo after-kill\n"; sleep 2;
       printf "sleep 40\n"; sleep 2; printf "\003"; sleep 2; printf "echo after-ctrl-c=\$?\n"; sleep 1;
       printf "sleep 50\n"; sleep 2; printf "\032"; sleep 2; printf "jobs\n"; sleep 1;
       printf "kill -9 %%1; sleep 1; jobs; echo stopped-job-killed\n"; sleep 3;
       printf "exit 3\n"; sleep 1; printf "exit 3\n"; sleep 4'
expect=("^OK-TYPED" "got=xz" "^1" "[0-9]+ root +\{sh\} sleep 30" "Terminated +sleep 30" "after-kill" "\^C"
        "after-ctrl-c=130" "\^Z" "Stopped +sleep 50" "Killed +sleep 50" "stopped-job-killed"
        "env [0-9a-f]+ \(posix\) exited with status 3")
reject=("not implemented")
