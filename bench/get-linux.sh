#!/bin/sh
# Fetch the Linux peer's kernel: Debian's own cloud kernel.  The meta
# package linux-image-cloud-amd64 names the versioned package
# (linux-image-<ver>-cloud-amd64); that one is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` under DIR.  Nothing is
# installed on the host.  Usage: bench/get-linux.sh DIR
# Leaves DIR/vmlinuz, DIR/config and DIR/release ("<package> <version>").
# Kept until DIR is removed: `rm -rf DIR` moves to the newest kernel.
set -e
dir=$1
meta=${LINUX_META:-linux-image-cloud-amd64}
[ -s "$dir/vmlinuz" ] && exit 0

versioned() {
    apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'
}
pkg=$(versioned)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(versioned)
fi
if [ -z "$pkg" ]; then
    echo "get-linux: apt-cache knows no $meta; run: sudo apt-get update" >&2
    exit 1
fi

echo "get-linux: fetching $pkg (about 30 MB) into $dir"
tmp=$dir/deb
rm -rf "$tmp" && mkdir -p "$tmp"
# apt-get prints the archive's address: keep it out of files, show it on failure only.
if ! msg=$(cd "$tmp" && apt-get download -q "$pkg" 2>&1); then
    echo "$msg" >&2
    exit 1
fi
deb=$(ls "$tmp"/*.deb)
dpkg-deb -x "$deb" "$tmp/root"
cp "$tmp"/root/boot/config-* "$dir/config"
echo "$pkg $(dpkg-deb -f "$deb" Version)" > "$dir/release"
cp "$tmp"/root/boot/vmlinuz-* "$dir/vmlinuz.part"
mv "$dir/vmlinuz.part" "$dir/vmlinuz"
rm -rf "$tmp"
