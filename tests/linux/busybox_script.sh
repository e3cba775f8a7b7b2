# busybox_script.sh: busybox applets driven by busybox sh, on files under
# /tmp/bbtest. Run: busybox sh busybox_script.sh; stdout must equal
# busybox_script.expected. Applets are called by bare name (this busybox has
# FEATURE_SH_STANDALONE; many applets re-exec /proc/self/exe).
D=/tmp/bbtest
rm -rf $D
mkdir -p $D/src/sub && cd $D || { echo "cannot make $D"; exit 1; }
echo "== redirection"
echo one > f1
echo two >> f1
echo three >> f1
cat f1
wc -l < f1
(echo out; echo err >&2) > both 2>&1
cat both
ls nosuchfile 2>&1 >/dev/null | grep -c nosuchfile
echo "== exit status"
true; echo "true=$?"
false; echo "false=$?"
grep -q two f1; echo "grep found=$?"
grep -q four f1; echo "grep missing=$?"
sh -c 'exit 7'; echo "sh -c exit=$?"
echo "== pipelines"
printf 'pear\napple\nfig\napple\npear\napple\n' > fruit
sort fruit | uniq | tr '\n' ' '; echo
sort fruit | uniq -c | sort -rn | awk '{print $2 "=" $1}'
sort -u fruit | wc -l
sh -c 'sort fruit | uniq -d | head -n 1'
grep -n apple fruit
sed -e 's/apple/APPLE/g' -e '/fig/d' fruit | tail -n 2
awk '{n[$1]++} END {for (k in n) print k, n[k]}' fruit | sort
printf 'a:1\nb:22\nc:300\n' | awk -F: '{s += $2} END {print "sum", s, NR}'
head -n 2 fruit
tail -n 1 fruit
echo "a,b,c,d" | cut -d, -f2,4
echo "hello world" | cut -c1-5
echo hello | tr a-z A-Z
echo "== loop and substitution"
for i in 1 2 3; do echo "item $i square $((i * i)) $(echo x$i | tr x y)"; done
n=$(wc -l < fruit); echo "lines=$((n + 0))"
words=$(cat f1 | wc -w); echo "words=$((words + 0))"
echo "== files"
echo data > src/a
echo more > src/sub/b
cp src/a copy
mv copy moved
ls
rm moved
ls src
[ -e moved ] || echo "moved is gone"
echo "== tar"
tar -cf src.tar src
tar -tf src.tar | sed 's,/$,,' | sort
mkdir out
tar -xf src.tar -C out
cat out/src/a out/src/sub/b
[ "$(cat src/a src/sub/b)" = "$(cat out/src/a out/src/sub/b)" ] && echo "extracted copy matches"
echo "== background"
(echo "bg job ran" > bgfile) &
wait
cat bgfile
sh -c 'exit 3' &
wait $!; echo "bg status=$?"
echo "== cleanup"
cd /
rm -rf $D
[ -d $D ] || echo "removed $D"
echo "== done"
