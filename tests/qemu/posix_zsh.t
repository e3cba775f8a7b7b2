# Debian's zsh-static (glibc, unmodified: tools/get-deb-file.sh) runs
# tests/linux/zsh_suite.zsh: arrays and associative arrays with zsh's
# flags, functions and recursion through command substitution, integer
# and float arithmetic, globbing in a directory it makes (**, ^, the
# (.) (/) (:t) qualifiers, no match with nullglob), string expansion and
# case patterns.  Its output must equal the same binary's output run
# natively on the host, made here.
want=$BUILD/zsh_suite.expected
$BUILD/bin/zsh -f tests/linux/zsh_suite.zsh > "$want" 2>&1
grep -qx "zsh suite done" "$want" || echo "posix_zsh: zsh on the host did not finish the script" >&2
cmdline="quiet init=posix run=zsh,zsh,-f,-c,print+-r+'==begin==';.+/bin/zsh_suite.zsh;print+-r+'==end=='"
qemu_extra="-m 1G"
timeout=180
expect_file=$want
expect=("^zsh suite done" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "fork failed")
