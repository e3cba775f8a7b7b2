# 1,002 sleepers at once: timeouts wake in deadline order (a third killed
# while in the heap never wake), env_wake_word wakes just its word's
# sleeper, the bounded predicate poll comes round to every sleeper, a
# sleeper's unmapped word wakes it with E_FAULT and a replaced page is
# found by the poll; event-only sleepers sleep through it.  One CPU, so
# that the run queue's order is the wake order.
cmdline="init=cpu_sleepers"
qemu_extra="-smp 1"
timeout=60
expect=("cpu_sleepers: 200 timed sleepers woke, 100 killed in the heap, 0 out of deadline order"
        "cpu_sleepers: 0 of 300 word wake-ups wrong" "cpu_sleepers: all checks passed"
        "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
