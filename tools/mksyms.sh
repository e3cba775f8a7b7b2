#!/bin/sh
# Turn `nm -n` output of the first kernel link into the .ksyms section
# (sorted address/name-offset pairs plus a string table) for the second
# link.  Usage: mksyms.sh kernel.pass1.elf > ksyms.S
set -e
nm -n --defined-only "$1" | awk '
$2 ~ /^[tTwW]$/ && $1 ~ /^ffffffff8/ { addr[n] = $1; name[n] = $3; n++ }
END {
    print "    .section .ksyms, \"a\""
    print "    .balign 8"
    print "    .globl ksyms_count, ksyms_table, ksyms_names"
    printf "ksyms_count: .quad %d\n", n
    print "ksyms_table:"
    off = 0
    for (i = 0; i < n; i++) { printf "    .quad 0x%s, %d\n", addr[i], off; off += length(name[i]) + 1 }
    print "ksyms_names:"
    for (i = 0; i < n; i++) printf "    .asciz \"%s\"\n", name[i]
}'
