#!/bin/sh
# Host packages that only `make bench` needs (Debian 12), checked the way
# tools/setup-host.sh checks the build's: installed with apt-get when run
# as root, otherwise the exact command is printed and the script fails.
# Quiet when everything is present.
set -e

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

check gnuplot-nox gnuplot       # the chart
check musl-tools musl-gcc       # the Linux peer's static /init
check dpkg dpkg-deb             # unpacking the Linux kernel package
check apt apt-get apt-cache     # fetching it

[ -z "$need" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "setup-bench: installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
else
    echo "setup-bench: missing host packages. Run:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$need"
    exit 1
fi
