# Turns the host's <asm/unistd_64.h> (Debian's linux-libc-dev) into a table
# of Linux x86_64 system-call names, so the POSIX libOS can log a call it
# does not serve by name.  Output: a C array initialiser, "[nr] = "name",".
/^#define __NR_[a-z0-9_]+[ \t]+[0-9]+$/ {
    name = $2
    sub(/^__NR_/, "", name)
    printf "    [%d] = \"%s\",\n", $3, name
}
