# Generate the syscall ABI artefacts from include/veneer/syscalls.tbl.
# Usage: awk -v what=nums|kdecl|kdispatch|ustubs|fuzz|errmask|doc [-v errdef=errors.def] \
#            -f gen-syscalls.awk syscalls.tbl
# With errdef (required for errmask), every name in the errors column must
# be an error code of errors.def other than E_OK, with a value below 64.
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
# argname("const char *buf") -> "buf"
function argname(a,   n) { n = a; sub(/.*[ *]/, "", n); return n }
BEGIN { FS = "|"; n = 0; BASE = 4096 }   # VN_SYSCALL_BASE: Linux numbers stay free for reflection
/^#/ || /^[ \t]*$/ { next }
# "fast: name name ...": calls that take the fast path (kernel/arch/x86_64/trap.c)
/^fast:/ { k = split(substr($0, 6), fl, /[ \t]+/); for (i = 1; i <= k; i++) if (fl[i] != "") fastname[fl[i]] = NR; next }
# "shared: name ...": fast calls that also take the shared tier (kernel/klock.h)
/^shared:/ { k = split(substr($0, 8), fl, /[ \t]+/); for (i = 1; i <= k; i++) if (fl[i] != "") sharedname[fl[i]] = NR; next }
{
    num[n] = trim($1) + BASE; name[n] = trim($2); params[n] = trim($3)
    errs[n] = trim($4); desc[n] = trim($5); line[n] = NR
    nargs[n] = 0
    if (params[n] != "void") {
        k = split(params[n], parts, ",")
        for (i = 1; i <= k; i++) { p = trim(parts[i]); arg[n, i-1] = p; nargs[n]++ }
    }
    n++
}
# The errors column of row i as a list: sets nerr[i] and err[i, 0..].
function split_errors(i,   k, parts, j, e, seen) {
    nerr[i] = 0
    if (errs[i] == "-")
        return
    k = split(errs[i], parts, ",")
    for (j = 1; j <= k; j++) {
        e = trim(parts[j])
        if (e !~ /^E_[A-Z0-9_]+$/)
            fail(i, "\"" e "\" is not an error name (the column is E_* names separated by \", \", or \"-\")")
        else if (errdef != "" && !(e in errval))
            fail(i, e " is not defined in " errdef)
        else if (e == "E_OK" || (e in errval && errval[e] + 0 >= 64))
            fail(i, e " cannot be returned as an error (0 < value < 64)")
        else if (e in seen)
            fail(i, e " is listed twice")
        seen[e] = 1
        err[i, nerr[i]++] = e
    }
}
function fail(i, msg) {
    printf "%s:%d: %s: %s\n", FILENAME, line[i], name[i], msg > "/dev/stderr"
    failed = 1
}
END {
    if (errdef != "") {
        while ((getline l < errdef) > 0)
            if (l ~ /^ERR\(/) {
                sub(/^ERR\( */, "", l)
                split(l, f, / *, */)
                errval[f[1]] = f[2]
            }
        close(errdef)
    } else if (what == "errmask") {
        print "gen-syscalls.awk: what=errmask needs -v errdef=errors.def" > "/dev/stderr"
        exit 1
    }
    for (i = 0; i < n; i++)
        split_errors(i)
    for (i = 0; i < n; i++)
        if (name[i] in sharedname) {
            if (!(name[i] in fastname)) {
                printf "%s:%d: shared: %s is not a fast call\n", FILENAME, sharedname[name[i]], name[i] > "/dev/stderr"
                failed = 1
            }
            shared[i] = 1; delete sharedname[name[i]]
        }
    for (fn in sharedname) {
        printf "%s:%d: shared: %s is not a call of the table\n", FILENAME, sharedname[fn], fn > "/dev/stderr"
        failed = 1
    }
    for (i = 0; i < n; i++)
        if (name[i] in fastname) { fast[i] = 1; delete fastname[name[i]] }
    for (fn in fastname) {
        printf "%s:%d: fast: %s is not a call of the table\n", FILENAME, fastname[fn], fn > "/dev/stderr"
        failed = 1
    }
    if (failed)
        exit 1
    if (what != "doc")
        print "/* Generated from include/veneer/syscalls.tbl by tools/gen-syscalls.awk; do not edit. */"
    if (what == "nums") {
        print "#ifndef VENEER_SYSCALL_NUMS_H\n#define VENEER_SYSCALL_NUMS_H"
        printf "#define VN_SYSCALL_BASE %d  /* other numbers are reflected to the libOS */\n", BASE
        for (i = 0; i < n; i++) printf "#define SYS_%s %s\n", name[i], num[i]
        printf "#define SYS_COUNT %d\n", n
        print "#endif"
    } else if (what == "kdecl") {
        print "#ifndef KERNEL_SYSCALL_DECL_H\n#define KERNEL_SYSCALL_DECL_H"
        print "#include <stddef.h>\n#include <stdint.h>\n#include <veneer/cap.h>\n#include <veneer/dev.h>\n#include <veneer/env.h>\n#include <veneer/net.h>\n#include <veneer/blk.h>"
        for (i = 0; i < n; i++) printf "long sys_%s(%s);\n", name[i], params[i]
        print "#endif"
    } else if (what == "kdispatch") {
        print "#include <veneer/errors.h>\n#include \"syscall_decl.h\"\n#include \"syscall.h\""
        print "\nlong syscall_dispatch(uint64_t num, const uint64_t a[6])\n{\n    switch (num) {"
        for (i = 0; i < n; i++) {
            s = ""
            for (j = 0; j < nargs[i]; j++) {
                t = arg[i, j]; nm = argname(t); ty = substr(t, 1, length(t) - length(nm))
                s = s (j ? ", " : "") "(" trim(ty) ")a[" j "]"
            }
            printf "    case %s: return sys_%s(%s);\n", num[i], name[i], s
        }
        print "    default: return -E_NOSYS;\n    }\n}"
        print "\nconst char *const syscall_names[] = {"
        for (i = 0; i < n; i++) printf "    [%s] = \"%s\",\n", num[i] - BASE, name[i]
        print "};\nconst unsigned syscall_names_count = sizeof(syscall_names) / sizeof(syscall_names[0]);"
        print "\nconst uint8_t syscall_fast[] = {"
        for (i = 0; i < n; i++) if (fast[i]) printf "    [%s] = %d,\n", num[i] - BASE, shared[i] ? 2 : 1
        print "};\nconst unsigned syscall_fast_count = sizeof(syscall_fast) / sizeof(syscall_fast[0]);"
    } else if (what == "ustubs") {
        print "#ifndef VENEER_SYSCALL_STUBS_H\n#define VENEER_SYSCALL_STUBS_H"
        print "#include <stddef.h>\n#include <stdint.h>\n#include <veneer/syscall_nums.h>\n#include <veneer/vsyscall.h>\n#include <veneer/env.h>\n#include <veneer/cap.h>\n#include <veneer/dev.h>\n#include <veneer/net.h>\n#include <veneer/blk.h>"
        for (i = 0; i < n; i++) {
            s = ""
            for (j = 0; j < nargs[i]; j++) s = s ", (long)(" argname(arg[i, j]) ")"
            printf "/* %s */\nstatic inline long vn_%s(%s)\n{\n    return vn_syscall%d(SYS_%s%s);\n}\n",
                   desc[i], name[i], params[i], nargs[i], name[i], s
        }
        print "#endif"
    } else if (what == "fuzz") {
        # Argument kinds for the syscall fuzzer, inferred from the C types.
        print "#ifndef VENEER_SYSCALL_FUZZ_H\n#define VENEER_SYSCALL_FUZZ_H"
        print "enum vn_arg_kind { VA_CAP, VA_PTR_IN, VA_PTR_OUT, VA_STR, VA_SIZE, VA_ADDR, VA_FLAGS, VA_INT };"
        print "struct vn_fuzz_sys { int num; const char *name; int nargs; enum vn_arg_kind kind[6]; };"
        print "static const struct vn_fuzz_sys vn_fuzz_table[] = {"
        for (i = 0; i < n; i++) {
            s = ""
            for (j = 0; j < nargs[i]; j++) {
                t = arg[i, j]; nm = argname(t)
                if (t ~ /capref_t/) k = "VA_CAP"
                else if (t ~ /const char \*/) k = "VA_STR"
                else if (t ~ /^const .*\*/) k = "VA_PTR_IN"
                else if (t ~ /\*/) k = "VA_PTR_OUT"
                else if (t ~ /size_t/) k = "VA_SIZE"
                else if (nm ~ /^(va|paddr|entry|stack)$/) k = "VA_ADDR"
                else if (t ~ /^unsigned/) k = "VA_FLAGS"
                else k = "VA_INT"
                s = s (j ? ", " : "") k
            }
            printf "    {%s, \"%s\", %d, {%s}},\n", num[i], name[i], nargs[i], s
        }
        print "};\n#endif"
    } else if (what == "errmask") {
        # Bit k of syscall_errmask[call]: the call may return -k.  The
        # names are resolved by the compiler against <veneer/errors.h>.
        print "#include <stdint.h>\n#include <veneer/errors.h>\n#include <veneer/syscall_nums.h>\n#include \"syscall.h\""
        print "\n_Static_assert(E_MAX_ <= 64, \"every error code must fit a bit of a 64-bit syscall_errmask word\");"
        print "\nconst uint64_t syscall_errmask[] = {"
        for (i = 0; i < n; i++) {
            s = ""
            for (j = 0; j < nerr[i]; j++)
                s = s (j ? " | " : "") "(1ull << " err[i, j] ")"
            printf "    [%s] = %s,    /* %s */\n", num[i] - BASE, nerr[i] ? s : "0", name[i]
        }
        print "};\n_Static_assert(sizeof(syscall_errmask) / sizeof(syscall_errmask[0]) == SYS_COUNT, \"one mask per call\");"
    } else if (what == "doc") {
        print "<!-- Generated from include/veneer/syscalls.tbl by tools/gen-syscalls.awk; do not edit. -->"
        print "# Veneer system calls\n"
        print "Enter with `syscall`: number in `rax` (Veneer's own numbers start at `VN_SYSCALL_BASE` = " BASE ";"
        print "any other number is reflected to the environment's `UPCALL_SYSCALL` handler, see below),"
        print "arguments in `rdi, rsi, rdx, r10, r8, r9`."
        print "The result comes back in `rax`: a non-negative value, or a negative `E_*` code"
        print "(see [errors](#errors)). `rcx` and `r11` are clobbered. The libOS stub for"
        print "`name` is `vn_name()` in `<veneer/syscall.h>`."
        print "The errors column lists exactly the codes a call can return, including those a"
        print "sleeping call is woken with (timeouts, a dead partner); the fuzzing kernel panics"
        print "when a call returns one its row does not list.\n"
        print "Reflection: a `syscall` whose number is not Veneer's is delivered, if the environment has"
        print "registered an `UPCALL_SYSCALL` entry, to that handler as a `vn_xframe` with trap number"
        print "`VN_T_SYSCALL` and the registers of the call; the handler sets `rax` in the frame and"
        print "returns straight to the instruction after the `syscall`, without entering the kernel again."
        print "Without a handler the call fails with `-E_NOSYS`. This is how a libOS serves another"
        print "system's ABI (the POSIX libOS serves Linux's).\n"
        print "Calls marked *fast* take the fast path: they run on the frame the entry built and return"
        print "with `sysretq` straight to the caller, unless something is due for it (an upcall, a"
        print "reschedule), in which case they finish like any other call. Those marked *shared* run"
        print "first without the big kernel lock, in the shared tier (`kernel/klock.h`), when they stay"
        print "within the caller's own address space and capability table.\n"
        print "| # | call | parameters | errors | meaning |\n|---|---|---|---|---|"
        for (i = 0; i < n; i++)
            printf "| %s | `%s`%s | `%s` | %s | %s |\n", num[i], name[i], fast[i] ? (shared[i] ? " *fast* *shared*" : " *fast*") : "", params[i], errs[i], desc[i]
    }
}
