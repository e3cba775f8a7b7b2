#!/bin/sh
# Fetch and unpack lwIP from Debian's source package (never committed):
# `apt-get source --download-only lwip` into BUILD/dl/lwip, then
# `dpkg-source -x`, which checks the tarballs against the .dsc (whose own
# hash apt checked against the signed index) and applies Debian's patches,
# into BUILD/lwip-src.  Usage: tools/get-lwip.sh BUILD
#
# Source packages need a deb-src entry.  When apt has none, this adds
# /etc/apt/sources.list.d/veneer-src.sources: the host's own entries for
# the running release (same URIs, suites, components and keys) with
# Types: deb-src.  The host's files are never edited.  Not root: prints
# the commands to run instead and fails.
# Idempotent: does nothing once BUILD/lwip-src/.veneer-lwip exists (it
# holds the version); `rm -rf BUILD/lwip-src BUILD/dl/lwip` fetches again.
set -e
build=$1
src=$build/lwip-src
dl=$build/dl/lwip
stamp=$src/.veneer-lwip
srcfile=/etc/apt/sources.list.d/veneer-src.sources
[ -f "$stamp" ] && exit 0

have_deb_src() {
    apt-get indextargets --format '$(TARGET_OF)' 2>/dev/null | grep -qx deb-src
}

# The deb822 stanzas of veneer-src.sources, from the host's deb entries
# whose suites are the running release's (codename, codename-*): .sources
# stanzas and one-line "deb [signed-by=...] URI suite components" lines.
deb_src_stanzas() {
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    [ -n "$codename" ] || { echo "get-lwip: /etc/os-release names no release" >&2; return 1; }
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v rel="$codename" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && suites != "") {
                    printf "Types: deb-src\n%s", body
                    print ""
                }
                types = ""; suites = ""; body = ""; enabled = ""
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { body = body $0 "\n"; next }     # a continued field (an inline key)
            {
                key = $1; sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "Types") { types = val; next }
                if (key == "Enabled") { enabled = tolower(val); next }
                if (key == "Suites") {
                    n = split(val, s, /[ \t]+/); val = ""
                    for (i = 1; i <= n; i++)
                        if (s[i] == rel || index(s[i], rel "-") == 1)
                            val = val (val == "" ? "" : " ") s[i]
                    suites = val
                }
                body = body key ": " val "\n"
            }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v rel="$codename" '
            $1 != "deb" { next }
            {
                i = 2; key = ""
                if ($2 ~ /^\[/) {
                    for (; i <= NF; i++) {
                        o = $i; gsub(/[][]/, "", o)
                        if (o ~ /^signed-by=/) { key = o; sub(/^signed-by=/, "", key) }
                        if ($i ~ /\]$/) { i++; break }
                    }
                }
                if ($(i + 1) != rel && index($(i + 1), rel "-") != 1)
                    next
                printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
                for (j = i + 2; j <= NF && $j !~ /^#/; j++)
                    printf " %s", $j
                print ""
                if (key != "")
                    print "Signed-By: " key
                print ""
            }' "$f"
    done
}

if ! have_deb_src; then
    stanzas=$(deb_src_stanzas)
    if [ -z "$stanzas" ]; then
        echo "get-lwip: no deb-src entry, and no deb entry of this release to mirror; add one for lwip" >&2
        exit 1
    fi
    stanzas=$(printf '# Added by Veneer'"'"'s tools/get-lwip.sh: source packages for the build.\n%s' "$stanzas")
    if [ "$(id -u)" != 0 ]; then
        echo "get-lwip: apt has no deb-src entry (lwIP comes from Debian's source package). Run:" >&2
        echo "  sudo tee $srcfile >/dev/null <<'EOF'" >&2
        printf '%s\n' "$stanzas" >&2
        echo "EOF" >&2
        echo "  sudo apt-get update" >&2
        exit 1
    fi
    echo "get-lwip: adding $srcfile (deb-src of the host's entries)"
    printf '%s\n' "$stanzas" > "$srcfile"
    apt-get update -qq >/dev/null 2>&1 || true
fi

mkdir -p "$dl"
if ! ls "$dl"/lwip_*.dsc >/dev/null 2>&1; then
    echo "get-lwip: fetching Debian's lwip source package into $dl"
    fetch() { (cd "$dl" && apt-get source --download-only -q lwip 2>&1); }
    # apt-get prints the archive's address: keep it out of logs, show it on failure only.
    if ! msg=$(fetch); then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            msg=$(fetch) || { echo "$msg" >&2; exit 1; }
        else
            echo "$msg" >&2
            echo "get-lwip: run: sudo apt-get update" >&2
            exit 1
        fi
    fi
fi
dsc=$(ls "$dl"/lwip_*.dsc | tail -n 1)
version=$(awk '$1 == "Version:" { print $2; exit }' "$dsc")
case $version in
    2.1.*) ;;
    *) echo "get-lwip: warning: lwip $version; lib/lwip_port was written for 2.1.3" >&2 ;;
esac
rm -rf "$src" "$src.part"
if ! msg=$(dpkg-source -x "$dsc" "$src.part" 2>&1); then
    echo "$msg" >&2
    echo "get-lwip: dpkg-source failed; removing $dl so the next build fetches again" >&2
    rm -rf "$dl" "$src.part"
    exit 1
fi
echo "lwip $version" > "$src.part/.veneer-lwip"
mv "$src.part" "$src"
echo "get-lwip: lwip $version unpacked into $src"
