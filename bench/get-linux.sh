#!/bin/sh
# Fetch the Linux peer's kernel: Debian's own cloud kernel.  The meta
# package linux-image-cloud-amd64 names the versioned package
# (linux-image-<ver>-cloud-amd64); that one is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` under DIR.  Nothing is
# installed on the host.  Usage: bench/get-linux.sh DIR
# Leaves DIR/vmlinuz, DIR/config and DIR/release ("<package> <version>"),
# and the modules the network rows need from the same package: Debian
# builds virtio-net and virtio-pci as modules, so DIR/modules/ keeps
# virtio_net.ko and virtio_pci.ko with every module they depend on
# (read from each .ko's .modinfo "depends=", as the package ships no
# modules.dep), and DIR/modules/order lists them one a line in an order
# that loads each after its dependencies (bench/linux/net.c loads them).
# Kept until DIR is removed: `rm -rf DIR` moves to the newest kernel.
set -e
dir=$1
meta=${LINUX_META:-linux-image-cloud-amd64}
want_modules="virtio_net virtio_pci"
[ -s "$dir/vmlinuz" ] && [ -s "$dir/modules/order" ] && exit 0

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

# modules: copy NAME (and first what it depends on) into DIR/modules,
# appending to the order once each.  No locals (POSIX sh): $1 is each
# call's own, and a for loop's list is expanded before it runs.
mods=$dir/modules
rm -rf "$mods" && mkdir -p "$mods"
: > "$mods/order.part"
module_file() {
    find "$tmp/root/lib/modules" -name "$1.ko" | head -n 1
}
module() {
    grep -qx "$1" "$mods/order.part" && return 0
    [ -n "$(module_file "$1")" ] || { echo "get-linux: no module $1 in $pkg" >&2; exit 1; }
    for dep in $(objcopy -O binary --only-section=.modinfo "$(module_file "$1")" /dev/stdout |
                 tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
        module "$dep"
    done
    cp "$(module_file "$1")" "$mods/$1.ko"
    echo "$1" >> "$mods/order.part"
}
for m in $want_modules; do
    module "$m"
done
mv "$mods/order.part" "$mods/order"
cp "$tmp"/root/boot/vmlinuz-* "$dir/vmlinuz.part"
mv "$dir/vmlinuz.part" "$dir/vmlinuz"
rm -rf "$tmp"
