# A bash script for Debian's bash-static under the POSIX libOS
# (tests/qemu/posix_bash.t).  It uses builtins only, so the host's bash
# gives the same output: the test runs it there too and compares.  Each
# part prints what it computed; nothing prints a pid or a time.

# Functions, and recursion through command substitution: each level is
# a fork, so fact 20 nests 20 processes.  FORK_DEPTH (default 20) sets
# that depth: posix_bash.t passes a smaller one while the libOS's fork
# quota limits nesting (docs/posix.md).
fact() {
    if (( $1 <= 1 )); then echo 1; return; fi
    local r
    r=$(fact $(( $1 - 1 )))
    echo $(( r * $1 ))
}
depth=${FORK_DEPTH:-20}
echo "fact 3 = $(fact 3)"
echo "fact $depth = $(fact $depth)"
fib() { local n=$1; (( n < 2 )) && { echo $n; return; }; echo $(( $(fib $((n-1))) + $(fib $((n-2))) )); }
fn=$(( depth < 8 ? depth : 8 ))
echo "fib $fn = $(fib $fn)"

# Indexed and associative arrays.
a=(zero one two three)
a+=(four)
a[7]=seven
echo "count ${#a[@]}, indices ${!a[*]}, last ${a[-1]}, slice ${a[*]:1:2}"
unset 'a[1]'
echo "after unset: ${a[*]}"
declare -A color=([apple]=red [sky]=blue [grass]=green)
for k in apple grass sky; do echo "$k is ${color[$k]}"; done
echo "keys: $(for k in "${!color[@]}"; do echo "$k"; done | { sorted=(); while read -r w; do sorted+=("$w"); done; IFS=$'\n' s=($(for w in "${sorted[@]}"; do echo "$w"; done)); echo ${#s[@]}; })"

# Strings: parameter expansion.
p=/usr/local/lib/libfoo.so.1
echo "${p##*/} ${p%/*} ${p/lib/LIB} ${p//lib/L} ${#p} ${p^^}"

# Here-documents and here-strings, read loops.
n=0
while IFS=: read -r name num rest; do
    n=$(( n + num ))
    echo "read '$name' '$num' '$rest'"
done <<END
alpha:1:first line
beta:2:second: with colon
gamma:3:
END
echo "sum $n"
cat_heredoc() { while read -r l; do echo "> $l"; done; }
cat_heredoc <<'RAW'
$HOME is not expanded $(here)
	tabs stay
RAW
read -r x y <<< "here string"
echo "x=$x y=$y"
tot=0
while read -r v; do tot=$(( tot + v )); done < <(for i in 1 2 3 4 5; do echo $((i*i)); done)
echo "squares $tot"

# Subshells in loops, and their isolation.
v=outer
for i in 1 2 3 4 5 6 7 8; do
    r=$( v=inner$i; echo "$v" )
    ( exit $(( i % 3 )) ); s=$?
    echo "iter $i: $r status $s v=$v"
done

# Traps: EXIT in a subshell, ERR, a signal to ourselves, RETURN.
( trap 'echo "subshell exit trap"' EXIT; echo "in subshell" )
( trap 'echo "caught USR1"' USR1; kill -USR1 $BASHPID; echo "after USR1" )
( set -E; trap 'echo "err trap at $LINENO-ish"' ERR; false; echo "after false" ) | { read -r l; echo "${l%% at*}"; read -r l; echo "$l"; }
rt() { trap 'echo "return trap"' RETURN; echo "in rt"; }
rt
trap - RETURN

# Job control: background jobs, $!, wait for each and for a status.
( exit 3 ) &
p1=$!
( x=0; for i in {1..200}; do x=$((x+i)); done; (( x == 20100 )) && exit 4 ) &
p2=$!
wait $p1; echo "job 1 status $?"
wait $p2; echo "job 2 status $?"
[ "$p1" != "$p2" ] && echo "distinct pids"
for i in 1 2 3 4; do ( exit $i ) & done
wait
echo "waited all, last status of wait: $?"
res=()
for i in 1 2 3; do
    { r=$(( i * 100 )); echo $r > /dev/null; exit $(( i + 10 )); } &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; res+=($?); done
echo "statuses ${res[*]}"

# Arithmetic, case, and a loop with break/continue.
x=0
for (( i = 0; i < 20; i++ )); do
    (( i % 2 )) && continue
    (( i > 14 )) && break
    (( x += i ))
done
echo "x=$x $(( 2 ** 10 )) $(( 17 / 5 )) $(( -17 % 5 )) $(( 0x1f | 0100 ))"
for w in apple Banana 42 ""; do
    case $w in
        [a-z]*) echo "lower $w" ;;
        [A-Z]*) echo "upper $w" ;;
        [0-9]*) echo "digit $w" ;;
        *) echo "empty" ;;
    esac
done
printf '%05d|%-4s|%x|%s\n' 42 ab 255 "$(printf '%s,' a b c)"
echo "bash suite done"
