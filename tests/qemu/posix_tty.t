# The interactive shell on the console tty: busybox sh reads typed lines
# (canonical mode, echo, erase), runs a pipeline, a background job seen by
# ps and ended by kill %1, and ^C interrupts a foreground sleep (status
# 130) while the shell carries on; exit ends the session with its status.
cmdline="quiet init=posix"
qemu_extra="-m 1G"
timeout=90
result=fail         # the shell exits with status 3
input='sleep 4; printf "echo typo\177\177\177\177ok-typed | tr a-z A-Z\n"; sleep 2;
       printf "sleep 30 &\n"; sleep 2; printf "ps\n"; sleep 3;
       printf "kill %%1; wait; echo after-kill\n"; sleep 3;
       printf "sleep 40\n"; sleep 3; printf "\003"; sleep 2; printf "echo after-ctrl-c=\$?\n"; sleep 2;
       printf "exit 3\n"; sleep 5'
expect=("^OK-TYPED" "[0-9]+ root +\{sh\} sleep 30" "Terminated +sleep 30" "after-kill" "\^C"
        "after-ctrl-c=130" "env [0-9a-f]+ \(posix\) exited with status 3")
reject=("not implemented")
