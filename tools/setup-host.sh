#!/bin/sh
# Make sure the host has what the build and tests need (Debian 12), or,
# with the argument "bench", what only `make bench` needs, or with
# "bench-smoke" what only `make bench-smoke` (part of `make test`) needs
# beyond the build's: wrk, its HTTP client.  Installs
# missing packages with apt-get when run as root; otherwise prints the
# exact command to run and fails.  Quiet when everything is present.
set -e
set_name=${1:-host}

need=""
check() {   # check <package> <path-or-command>...
    pkg=$1; shift
    for f in "$@"; do
        case $f in
            /*) [ -e "$f" ] || { need="$need $pkg"; return; } ;;
            *) command -v "$f" >/dev/null 2>&1 || { need="$need $pkg"; return; } ;;
        esac
    done
}

if [ "$set_name" = bench ]; then
    check gnuplot-nox gnuplot       # the chart
    check musl-tools musl-gcc       # the Linux peer's static /init
    check dpkg dpkg-deb             # unpacking the Linux kernel package
    check apt apt-get apt-cache     # fetching it
    check wrk wrk                   # the network rows' HTTP load (bench/net/boot.sh)
elif [ "$set_name" = bench-smoke ]; then
    check wrk wrk
else
    check gcc gcc
    check binutils ld nm ar
    check make make
    check gawk awk
    check qemu-system-x86 qemu-system-x86_64
    check qemu-system-data /usr/share/qemu/qboot.rom
    check grub-common grub-mkrescue
    check grub-pc-bin /usr/lib/grub/i386-pc/modinfo.sh
    check grub-efi-amd64-bin /usr/lib/grub/x86_64-efi/modinfo.sh
    check xorriso xorriso
    check mtools mformat
    check musl-tools musl-gcc
    check linux-libc-dev /usr/include/x86_64-linux-gnu/asm/unistd_64.h
    check ovmf /usr/share/ovmf/OVMF.fd
    check dpkg-dev dpkg-source          # unpacking source packages (tools/get-source.sh)
    check xz-utils xz
    check curl curl                     # host-side clients of the network tests (127.0.0.1 only)
    check python3 python3
    check e2fsprogs mke2fs e2fsck debugfs   # lib/fs host tests (make the images, check them)
    check tcl tclsh                     # SQLite's amalgamation generator (mk/sqlite.mk)
fi

[ -z "$need" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "setup-$set_name: installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
else
    echo "setup-$set_name: missing host packages. Run:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$need"
    exit 1
fi
