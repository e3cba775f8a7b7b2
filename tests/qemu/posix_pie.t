# A static-PIE executable (musl's rcrt1 relocates itself from AT_PHDR):
# exec loads it at the PIE base and it runs like the fixed-address build.
cmdline="init=posix run=hello_pie"
result=fail         # exit status 7
expect=("hello from a static musl binary: argc=1 argv\[0\]=/bin/hello_pie pid=1" "line 2, heap byte x"
        "env [0-9a-f]+ \(posix\) exited with status 7")
reject=("not implemented")
