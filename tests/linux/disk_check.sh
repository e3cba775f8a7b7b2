# disk_check.sh: the second boot of tests/qemu/disk_persist.t, on the
# image disk_write.sh wrote: prints what it finds; the output must equal
# disk_persist.expected.
cd /root/p || { echo "no /root/p"; exit 1; }
cat hello
cat dir/sub/moved
wc -l < numbers
readlink slink; cat slink
readlink abslink
cat victim
ls -1 dir/sub
[ -e doomed ] && echo "doomed survived"
[ -e gone ] && echo "gone survived"
stat -c '%s %b' sparse
stat -c '%h' numbers hardlink
stat -c '%a' hello dir
stat -c '%Y' numbers
[ "$(stat -c %i numbers)" = "$(stat -c %i hardlink)" ] && echo "hard link: one inode"
cmp numbers hardlink && echo "hard link: same content"
ls -1
df / | tail -n 1 | awk '{print ($2 > 0 && $4 > 0 && $2 >= $4) ? "df: sizes" : "df: " $0}'
