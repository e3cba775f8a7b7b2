#!/bin/sh
# Host test host_linux_calls: lib/posix/linux_calls.tbl, the POSIX libOS's
# table of served Linux calls, against the host's <asm/unistd_64.h>, the
# handlers defined in lib/posix and the committed docs/linux_calls.md.
#   1. the generator accepts the table (every name has its number);
#   2. it refuses a table with a wrong number, a number twice, a name the
#      header lacks or an unknown flag (so check 1 can fail);
#   3. every handler the table names is defined in lib/posix/*.c, and
#      every lx_* handler defined there is in the table;
#   4. docs/linux_calls.md is what the generator makes now (`make docs`).
H=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
T=lib/posix/linux_calls.tbl
gen_table() { awk -v what=table -f tools/gen-linux-calls.awk "$H" "$1"; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! gen_table "$T" > "$tmp/table"; then
    echo "FAIL: the generator refuses $T"; fail=1
fi
n=$(grep -c '^    \[' "$tmp/table")
[ "$n" -gt 100 ] || { echo "FAIL: only $n calls in the table"; fail=1; }

# 2: each broken copy must be refused.
sed 's/^0    read /1    read /' "$T" > "$tmp/wrongnr"
sed 's/^1    write /0    write /' "$T" > "$tmp/twice"
sed 's/^0    read /0    read_no_such_call /' "$T" > "$tmp/noname"
sed 's/^0    read \(.*\) R$/0    read \1 X/' "$T" > "$tmp/badflag"
for bad in wrongnr twice noname badflag; do
    if cmp -s "$T" "$tmp/$bad"; then
        echo "FAIL: could not make the $bad copy (the table's first lines changed?)"; fail=1
    elif gen_table "$tmp/$bad" > /dev/null 2>&1; then
        echo "FAIL: the generator accepted a table with $bad"; fail=1
    fi
done

# 3: handlers against their definitions.
awk '!/^#/ && NF == 4 && $3 != "-" { print $3 }' "$T" | sort -u > "$tmp/named"
{ grep -ho '^long lx_[a-z0-9_]*(struct vn_xframe \*x)$' lib/posix/*.c | sed 's/^long \(lx_[a-z0-9_]*\).*/\1/'
  grep -ho '^VIA([a-z0-9_]*,' lib/posix/*.c | sed 's/^VIA(\([a-z0-9_]*\),/via_\1/'; } | sort -u > "$tmp/defined"
missing=$(comm -23 "$tmp/named" "$tmp/defined")
orphan=$(comm -13 "$tmp/named" "$tmp/defined" | grep '^lx_')
[ -z "$missing" ] || { echo "FAIL: handlers named in $T but not defined:" $missing; fail=1; }
[ -z "$orphan" ] || { echo "FAIL: handlers defined but not in $T:" $orphan; fail=1; }

# 4: the committed reference, against what the generator makes now.
if ! awk -v what=doc -f tools/gen-linux-calls.awk "$H" "$T" > "$tmp/doc"; then
    echo "FAIL: the generator makes no docs/linux_calls.md"; fail=1
elif ! cmp -s docs/linux_calls.md "$tmp/doc"; then
    echo "FAIL: docs/linux_calls.md is out of date with $T: run 'make docs' and commit it"
    diff -u docs/linux_calls.md "$tmp/doc" | head -n 20
    fail=1
fi
[ $fail = 0 ] && echo "linux_calls.tbl: $n calls, names and numbers match <asm/unistd_64.h>, handlers and docs agree"
exit $fail
