# `make iso` boots under UEFI (OVMF + GRUB, multiboot2) to user mode.
boot=iso-uefi
timeout=120
expect=("booted by multiboot2" "init: hello from user mode" "free pages ([0-9]+) before, \1 after")
