#!/bin/sh
# make size: lines of C, headers and assembly per file, with totals for
# three parts of the tree counted apart:
#   kernel       kernel/ (portable and machine layer)
#   drivers      drivers/ but the homes: the drivers and the interfaces
#                they are written against (drv.h, netdev.h)
#   driver home  drivers/home_*.c: a home of the driver interface (the
#                kernel's is compiled into the kernel image)
# "kernel .c" is the number the kernel's budget is about (tests/host/
# kernel_size.sh).  With -t, only the totals.
totals_only=0
[ "${1:-}" = -t ] && totals_only=1

part() {  # part <title> <files...>: per-file counts, then the totals
    title=$1
    shift
    [ $totals_only = 1 ] || { echo "$title:"; wc -l "$@" | grep -v ' total$' | sort -k2 | sed 's/^/  /'; }
    c=$(cat /dev/null $(printf '%s\n' "$@" | grep '\.c$') | wc -l)
    all=$(cat "$@" | wc -l)
    printf '%-12s .c %6d   .c+.h+.S %6d\n' "$title" "$c" "$all"
}

cd "$(dirname "$0")/.." || exit 1
part kernel $(find kernel -name '*.[chS]' | sort)
part drivers $(find drivers -name '*.[chS]' ! -name 'home_*' | sort)
home=$(find drivers -name 'home_*.[chS]' | sort)
[ -n "$home" ] && part "driver home" $home
exit 0
