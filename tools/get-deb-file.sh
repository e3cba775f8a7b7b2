#!/bin/sh
# Fetch one Debian binary package (never committed) and copy one file out
# of it: tools/get-deb-file.sh PACKAGE PATH-IN-PACKAGE OUT.  The .deb is
# kept in OUT's ../dl/PACKAGE (so build/bin/x keeps it in build/dl/PACKAGE)
# and fetched with `apt-get download` (no installation: apt checks it
# against the signed index); when the package lists do not know it and we
# are root, they are refreshed first.  Used for busybox-static,
# e2fsck-static, bash-static, zsh-static and gpgv-static: unmodified Linux
# programs for the POSIX libOS.
set -e
pkg=$1
path=$2
out=$3
[ -n "$pkg" ] && [ -n "$path" ] && [ -n "$out" ] ||
    { echo "usage: tools/get-deb-file.sh PACKAGE PATH-IN-PACKAGE OUT" >&2; exit 2; }
dir=$(dirname "$out")/../dl/$pkg
mkdir -p "$dir"
cd "$dir"
if ! ls "${pkg}"_*.deb >/dev/null 2>&1; then
    if ! apt-get download "$pkg" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            apt-get download "$pkg" >/dev/null
        else
            echo "get-deb-file: cannot download $pkg; run: sudo apt-get update" >&2
            exit 1
        fi
    fi
fi
rm -rf x
dpkg-deb -x "${pkg}"_*.deb x
cd - >/dev/null
[ -f "$dir/x/${path#/}" ] || { echo "get-deb-file: $pkg has no $path" >&2; exit 1; }
cp "$dir/x/${path#/}" "$out"
rm -rf "$dir/x"
