# Generate the syscall ABI artefacts from include/veneer/syscalls.tbl.
# Usage: awk -v what=nums|kdecl|kdispatch|ustubs|doc -f gen-syscalls.awk syscalls.tbl
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
# argname("const char *buf") -> "buf"
function argname(a,   n) { n = a; sub(/.*[ *]/, "", n); return n }
BEGIN { FS = "|"; n = 0; BASE = 4096 }   # VN_SYSCALL_BASE: Linux numbers stay free for reflection
/^#/ || /^[ \t]*$/ { next }
{
    num[n] = trim($1) + BASE; name[n] = trim($2); params[n] = trim($3)
    errs[n] = trim($4); desc[n] = trim($5)
    nargs[n] = 0
    if (params[n] != "void") {
        k = split(params[n], parts, ",")
        for (i = 1; i <= k; i++) { p = trim(parts[i]); arg[n, i-1] = p; nargs[n]++ }
    }
    n++
}
END {
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
        print "#include <stddef.h>\n#include <stdint.h>\n#include <veneer/cap.h>\n#include <veneer/env.h>"
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
    } else if (what == "ustubs") {
        print "#ifndef VENEER_SYSCALL_STUBS_H\n#define VENEER_SYSCALL_STUBS_H"
        print "#include <stddef.h>\n#include <stdint.h>\n#include <veneer/syscall_nums.h>\n#include <veneer/vsyscall.h>\n#include <veneer/env.h>\n#include <veneer/cap.h>"
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
    } else if (what == "doc") {
        print "<!-- Generated from include/veneer/syscalls.tbl by tools/gen-syscalls.awk; do not edit. -->"
        print "# Veneer system calls\n"
        print "Enter with `syscall`: number in `rax` (Veneer's own numbers start at `VN_SYSCALL_BASE` = " BASE ";"
        print "any other number is reflected to the environment's `UPCALL_SYSCALL` handler, see below),"
        print "arguments in `rdi, rsi, rdx, r10, r8, r9`."
        print "The result comes back in `rax`: a non-negative value, or a negative `E_*` code"
        print "(see [errors](#errors)). `rcx` and `r11` are clobbered. The libOS stub for"
        print "`name` is `vn_name()` in `<veneer/syscall.h>`.\n"
        print "Reflection: a `syscall` whose number is not Veneer's is delivered, if the environment has"
        print "registered an `UPCALL_SYSCALL` entry, to that handler as a `vn_xframe` with trap number"
        print "`VN_T_SYSCALL` and the registers of the call; the handler sets `rax` in the frame and"
        print "returns straight to the instruction after the `syscall`, without entering the kernel again."
        print "Without a handler the call fails with `-E_NOSYS`. This is how a libOS serves another"
        print "system's ABI (the POSIX libOS serves Linux's).\n"
        print "| # | call | parameters | errors | meaning |\n|---|---|---|---|---|"
        for (i = 0; i < n; i++)
            printf "| %s | `%s` | `%s` | %s | %s |\n", num[i], name[i], params[i], errs[i], desc[i]
    }
}
