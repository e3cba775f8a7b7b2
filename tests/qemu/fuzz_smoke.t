# A short fixed-seed fuzzing run on the fuzzing kernel (syscall trace ring,
# invariant audits every 2048 calls): no panic, canary intact, no leak.
kernel=fuzz/kernel.elf
cmdline="init=fuzz arg0=20261126 arg1=300000"
timeout=180
expect=("fuzz: PASS seed 20261126" "paths covered, -?[0-4] pages unaccounted" "free pages ([0-9]+) before, \1 after"
        "veneer: [0-9]+ invariant audits passed")
