# Device interrupts from user space (tests/user/dev_irq.c): edu's MSI bound
# to a notification word through an interrupt capability; one delivery per
# acknowledgement (a storm of 1000 raises before the ack delivers once),
# the holder's mask, a reset or the word's deletion unbinding; 2000 round
# trips while a spinning neighbour shares the only CPU and keeps running.
machine=q35
cmdline="init=dev_irq"
qemu_extra="-smp 1 -device edu,addr=2"
expect=("dev_irq: 2000 interrupt round trips" "dev_irq: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "panic")
