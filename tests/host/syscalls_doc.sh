#!/bin/sh
# Host test host_syscalls_doc: docs/syscalls.md is generated from
# include/veneer/syscalls.tbl and errors.def but committed, so that it can
# be read on the web; fail while the committed copy is not what the
# generator makes now (the build writes that to $BUILD/gen/docs/).
BUILD=${BUILD:-build}
gen=$BUILD/gen/docs/syscalls.md
if [ ! -f "$gen" ]; then
    echo "$gen is missing: run make"
    exit 1
fi
if ! cmp -s docs/syscalls.md "$gen"; then
    echo "docs/syscalls.md is out of date with include/veneer/syscalls.tbl (or errors.def):"
    echo "run 'make docs' and commit docs/syscalls.md"
    diff -u docs/syscalls.md "$gen" | head -n 40
    exit 1
fi
echo "docs/syscalls.md matches the generator"
