# A kernel bug panics with the reason, the registers and a symbolized
# backtrace that names the culprit, and QEMU stops with the panic code.
cmdline="ktest=panic"
result=panic
expect=("kernel trap: page fault" "cr2 ffffffffdead0000" "rip .*ktest_panic\+0x"
        "#0 [0-9a-f]+ ktest_run_requested\+0x" "kernel_main\+0x" "PANIC: unhandled page fault")
