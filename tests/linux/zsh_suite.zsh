# A zsh script for Debian's zsh-static under the POSIX libOS
# (tests/qemu/posix_zsh.t): arrays, associative arrays, functions,
# arithmetic, globbing (on a directory it makes), parameter flags.  Its
# output is compared with the same script run by the same zsh-static
# natively on the host (Linux).
emulate -L zsh
setopt extendedglob nullglob

# Arrays are 1-based; slices, flags and joins.
a=(pear apple fig banana)
print "count $#a, first $a[1], last $a[-1], slice $a[2,3]"
print sorted ${(o)a}, reversed ${(Oa)a}, upper ${(U)a[1]}
a+=(kiwi)
print "joined ${(j:,:)a}"
print "longest: ${a[(r)b*]} index of fig: ${a[(i)fig]}"
typeset -A age
age=(ann 31 bob 27 cid 45)
for k in ${(ok)age}; do print "$k=$age[$k]"; done
vals=(${(v)age})
print "sum of values $(( ${(j:+:)vals} ))"

# Functions, recursion (through command substitution too), local scope.
fact() { (( $1 <= 1 )) && { print 1; return }; print $(( $1 * $(fact $(( $1 - 1 ))) )) }
print "fact 12 = $(fact 12)"   # 12 nested forks
counter=0
bump() { local counter=100; (( counter++ )); print "inner $counter" }
bump; print "outer $counter"
sq() { REPLY=$(( $1 * $1 )) }
sq 12; print "sq $REPLY"

# Arithmetic: integers, floats, bases.
integer i=7
float f=2.5
print "$(( i * 6 )) $(( i / 2 )) $(( i % 4 )) $(( 2 ** 16 )) $(( 16#ff )) $(( [#16] 255 ))"
printf '%.3f %.2f\n' $(( f * f )) $(( 10.0 / 4 ))
for (( j = 0, total = 0; j <= 10; j++ )); do (( total += j )); done
print "loop sum $total"

# Globbing in a fresh directory.
d=/tmp/zsh_glob.$$
rm -rf $d; mkdir -p $d/sub/deep
for n in a.txt b.txt c.log Readme sub/x.txt sub/deep/y.txt; do print $n > $d/$n; done
cd $d
print "txt: " *.txt
print "recursive: " **/*.txt
print "not txt: " ^*.txt
print "files only: " *(.)
print "dirs only: " *(/)
print "no match: [" *.none "]"
print "tails: " **/*.txt(:t)
cd /; rm -rf $d

# Parameter expansion, strings, case.
s="Hello, Veneer world"
parts=(${(s:, :)s})
print "${(L)s} ${#s} ${s[1,5]} ${s/Veneer/zsh} $#parts:$parts[2]"
words=(${=s})
print "words $#words: ${(j:|:)words}"
for w in 42 abc Xy ''; do
    case $w in
        <->) print "number $w" ;;
        [a-z]##) print "lower $w" ;;
        [A-Z]*) print "upper $w" ;;
        *) print "empty" ;;
    esac
done
print -l "${(@f)$(print 'l1\nl2\nl3')}" | while read -r l; do print "line $l"; done
print "zsh suite done"
