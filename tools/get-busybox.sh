#!/bin/sh
# Fetch Debian's busybox-static (never committed) and put its static
# busybox binary at $1.  Uses `apt-get download` (no installation); refreshes
# the package lists first when they do not know the package and we are root.
set -e
out=$1
dir=$(dirname "$out")/../dl/busybox
mkdir -p "$dir"
cd "$dir"
if ! ls busybox-static_*.deb >/dev/null 2>&1; then
    if ! apt-get download busybox-static >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            apt-get download busybox-static >/dev/null
        else
            echo "get-busybox: cannot download busybox-static; run: sudo apt-get update" >&2
            exit 1
        fi
    fi
fi
rm -rf x
dpkg-deb -x busybox-static_*.deb x
cd - >/dev/null
cp "$dir/x/bin/busybox" "$out"
