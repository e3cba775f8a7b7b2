# Turns lib/posix/linux_calls.tbl into the POSIX libOS's dispatch table,
# checked against the host's <asm/unistd_64.h> (Debian's linux-libc-dev):
# every line's number must be that name's __NR_ value, and no number may
# appear twice; any disagreement fails the build.
# Usage: awk -v what=decl|table|doc -f tools/gen-linux-calls.awk unistd_64.h linux_calls.tbl
#   decl:  a prototype for each handler
#   table: the initialiser of linux_calls[], "[nr] = {handler, flags},"
#   doc:   docs/linux_calls.md
FNR == NR {
    if ($0 ~ /^#define __NR_[a-z0-9_]+[ \t]+[0-9]+$/) {
        name = $2
        sub(/^__NR_/, "", name)
        host[name] = $3
    }
    next
}
/^#/ || NF == 0 { next }
{
    if (NF != 4) { fail("want 4 fields: nr name handler flags") }
    nr = $1; name = $2; h = $3; fl = $4
    if (!(name in host)) { fail(name " is not in <asm/unistd_64.h>") }
    if (host[name] != nr) { fail(name " is " host[name] " in <asm/unistd_64.h>, not " nr) }
    if (nr in seen) { fail(nr " is listed twice") }
    if (fl !~ /^(-|[RMDL]+)$/) { fail("unknown flags " fl) }
    if (h != "-" && h !~ /^(lx|via)_[a-z0-9_]+$/) { fail("handler " h " is not lx_* or via_*") }
    seen[nr] = 1
    n++; nrs[n] = nr; names[n] = name; hs[n] = h; fls[n] = fl
}
function fail(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    bad = 1
    exit 1
}
function cflags(fl,   s) {
    s = ""
    if (fl ~ /R/) s = s "|LX_RESTART"
    if (fl ~ /D/) s = s "|LX_DISK"
    if (fl ~ /L/) s = s "|LX_NOLOCK"
    return s == "" ? "0" : substr(s, 2)
}
END {
    if (bad)
        exit 1
    if (what == "decl") {
        print "/* Generated from lib/posix/linux_calls.tbl by tools/gen-linux-calls.awk. */"
        for (i = 1; i <= n; i++)
            if (hs[i] != "-" && !(hs[i] in done)) {
                printf "long %s(struct vn_xframe *x);\n", hs[i]
                done[hs[i]] = 1
            }
        max = 0
        for (i = 1; i <= n; i++)
            if (nrs[i] + 0 > max) max = nrs[i] + 0
        printf "#define LINUX_CALLS_MAX %d\n", max + 1
    } else if (what == "table") {
        print "/* Generated from lib/posix/linux_calls.tbl by tools/gen-linux-calls.awk. */"
        for (i = 1; i <= n; i++)
            printf "    [%d] = {%s, %s},\t/* %s */\n", nrs[i], hs[i] == "-" ? "NULL" : hs[i], cflags(fls[i]), names[i]
    } else if (what == "doc") {
        print "# Linux system calls served by the POSIX libOS"
        print ""
        print "Generated from `lib/posix/linux_calls.tbl` by `tools/gen-linux-calls.awk`"
        print "(`make docs`); do not edit. Numbers are checked against the host's"
        print "`<asm/unistd_64.h>` when the libOS is built. A call not listed returns"
        print "`-ENOSYS` and is logged once per process. docs/posix.md says how each"
        print "group behaves and what is not supported."
        print ""
        print "Flags: R restarted after an `SA_RESTART` handler; D may be served by the"
        print "root on disk (fsd) first; L served without the libOS lock. A handler `-`:"
        print "only the path a flag names serves it. Every call is served from any thread."
        print ""
        print "| nr | call | handler | flags |"
        print "|---:|---|---|---|"
        for (i = 1; i <= n; i++)
            printf "| %d | `%s` | %s | %s |\n", nrs[i], names[i], hs[i] == "-" ? "-" : "`" hs[i] "`", fls[i]
        printf "\n%d calls.\n", n
    }
}
