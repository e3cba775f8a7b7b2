# `make iso` boots under BIOS (SeaBIOS + GRUB, multiboot2) to user mode.
boot=iso-bios
timeout=60
expect=("booted by multiboot2" "init: hello from user mode" "free pages ([0-9]+) before, \1 after")
