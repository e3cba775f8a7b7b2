# Loaded by `gdb` in the project directory (allow it with
#   add-auto-load-safe-path <this directory>/.gdbinit in ~/.gdbinit).
# `make gdb` starts QEMU paused with a GDB stub on :1234.
set architecture i386:x86-64
file build/kernel.elf
target remote :1234
