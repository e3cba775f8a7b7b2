#!/bin/bash
# mkcpio.sh: write a newc cpio archive (the Linux initramfs format) to
# stdout from a gen_init_cpio-style list on stdin.  Needs neither root (for
# the device node) nor cpio(1).  Lines:
#   dir  <name> <mode>
#   nod  <name> <mode> c <major> <minor>
#   file <name> <mode> <source path>
# Modes are octal permissions; mtimes are 0 so the archive is reproducible.
set -e

ino=1
pad() {     # pad <bytes so far>: zeros up to the next multiple of 4
    local n=$(( (4 - $1 % 4) % 4 ))
    [ "$n" = 0 ] || head -c "$n" /dev/zero
}
header() {  # header <name> <mode> <nlink> <size> <rdev major> <rdev minor>
    local namesize=$(( ${#1} + 1 ))
    printf '070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x' \
        "$ino" "$2" 0 0 "$3" 0 "$4" 0 0 "$5" "$6" "$namesize" 0
    printf '%s\0' "$1"
    pad $((110 + namesize))
    ino=$((ino + 1))
}

while read -r kind name mode a b c; do
    case $kind in
        ''|'#'*) ;;
        dir)  header "$name" $((8#40000 | 8#$mode)) 2 0 0 0 ;;
        nod)  [ "$a" = c ] || { echo "mkcpio: only char devices: $name" >&2; exit 1; }
              header "$name" $((8#20000 | 8#$mode)) 1 0 "$b" "$c" ;;
        file) size=$(wc -c < "$a")
              header "$name" $((8#100000 | 8#$mode)) 1 "$size" 0 0
              cat "$a"
              pad "$size" ;;
        *)    echo "mkcpio: bad line: $kind $name" >&2; exit 1 ;;
    esac
done
header 'TRAILER!!!' 0 1 0 0 0
