# W^X in the kernel's own page tables: text RX with no writable alias in
# the physmap, rodata/data NX, physmap NX, device holes unmapped.
cmdline="ktest=wx"
expect=("ktest wx: kernel text RX" "ktest wx: PASS")
