# env_wake_word's bound: behind 400 sleepers on the same word whose
# predicates do not hold, a call stops after passing over 256 (and wakes
# nobody); the poll still wakes the sleeper it did not reach; once all
# hold, one call wakes all 400.  One CPU, for the order of the sleeps.
cmdline="init=cpu_wake_word_bound"
qemu_extra="-smp 1"
timeout=60
expect=("cpu_wake_word_bound: wake-up behind 400 parked sleepers woke 0" "then 400 woken by one call"
        "cpu_wake_word_bound: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL")
