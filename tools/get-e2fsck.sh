#!/bin/sh
# Fetch Debian's e2fsck-static (never committed) and put its static
# e2fsck (/sbin/e2fsck.static, linked with glibc) at $1, an unmodified
# Linux program for the POSIX libOS (tests/qemu/disk_e2fsck.t runs it on
# the raw extent /dev/nvme1n1).  As tools/get-busybox.sh: `apt-get
# download` (no installation), refreshing the package lists first when
# they do not know the package and we are root.
set -e
out=$1
dir=$(dirname "$out")/../dl/e2fsck
mkdir -p "$dir"
cd "$dir"
if ! ls e2fsck-static_*.deb >/dev/null 2>&1; then
    if ! apt-get download e2fsck-static >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            apt-get download e2fsck-static >/dev/null
        else
            echo "get-e2fsck: cannot download e2fsck-static; run: sudo apt-get update" >&2
            exit 1
        fi
    fi
fi
rm -rf x
dpkg-deb -x e2fsck-static_*.deb x
cd - >/dev/null
cp "$dir/x/sbin/e2fsck.static" "$out"
