# An unmodified static Linux program (musl-gcc -static) runs under the
# POSIX libOS through syscall reflection: printf, malloc (brk/mmap),
# getpid, TLS (arch_prctl), and its exit status (7) comes back.
cmdline="init=posix run=hello_musl"
result=fail         # the run's result is the program's exit status, 7
expect=("hello from a static musl binary: argc=1 argv\[0\]=/bin/hello_musl pid=1" "line 2, heap byte x"
        "env [0-9a-f]+ \(posix\) exited with status 7" "free pages ([0-9]+) before, \1 after")
reject=("not implemented")
