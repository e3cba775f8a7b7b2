#!/bin/sh
# Fetch and unpack a Debian source package for the build (never committed):
# `apt-get source --download-only PKG` into BUILD/dl/PKG, then
# `dpkg-source -x`, which checks the tarballs against the .dsc (whose own
# hash apt checked against the signed index) and applies Debian's patches,
# into BUILD/PKG-src.  Usage: tools/get-source.sh PKG BUILD [VERSION-GLOB]
# (a version outside the shell pattern VERSION-GLOB only warns: the port
# was written for that one).  Used for lwIP (tools/get-lwip.sh),
# e2fsprogs (mk/e2fs.mk) and sqlite3 (mk/sqlite.mk).
#
# Source packages need a deb-src entry.  When apt has none, this adds
# /etc/apt/sources.list.d/veneer-src.sources: the host's own entries for
# the running release (same URIs, suites, components and keys) with
# Types: deb-src.  The host's files are never edited.  Not root: prints
# the commands to run instead and fails.
# Idempotent: does nothing once BUILD/PKG-src/.veneer-PKG exists (it
# holds the version); `rm -rf BUILD/PKG-src BUILD/dl/PKG` fetches again.
set -e
pkg=$1
build=$2
want=${3:-*}
[ -n "$pkg" ] && [ -n "$build" ] || { echo "usage: tools/get-source.sh PKG BUILD [VERSION-GLOB]" >&2; exit 2; }
me="get-source($pkg)"
src=$build/$pkg-src
dl=$build/dl/$pkg
stamp=$src/.veneer-$pkg
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
    [ -n "$codename" ] || { echo "$me: /etc/os-release names no release" >&2; return 1; }
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
        echo "$me: no deb-src entry, and no deb entry of this release to mirror; add one for $pkg" >&2
        exit 1
    fi
    stanzas=$(printf '# Added by Veneer'"'"'s tools/get-source.sh: source packages for the build.\n%s' "$stanzas")
    if [ "$(id -u)" != 0 ]; then
        echo "$me: apt has no deb-src entry ($pkg comes from Debian's source package). Run:" >&2
        echo "  sudo tee $srcfile >/dev/null <<'EOF'" >&2
        printf '%s\n' "$stanzas" >&2
        echo "EOF" >&2
        echo "  sudo apt-get update" >&2
        exit 1
    fi
    echo "$me: adding $srcfile (deb-src of the host's entries)"
    printf '%s\n' "$stanzas" > "$srcfile"
    apt-get update -qq >/dev/null 2>&1 || true
fi

mkdir -p "$dl"
if ! ls "$dl"/"$pkg"_*.dsc >/dev/null 2>&1; then
    echo "$me: fetching Debian's $pkg source package into $dl"
    fetch() { (cd "$dl" && apt-get source --download-only -q "$pkg" 2>&1); }
    # apt-get prints the archive's address: keep it out of logs, show it on failure only.
    if ! msg=$(fetch); then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            msg=$(fetch) || { echo "$msg" >&2; exit 1; }
        else
            echo "$msg" >&2
            echo "$me: run: sudo apt-get update" >&2
            exit 1
        fi
    fi
fi
dsc=$(ls "$dl"/"$pkg"_*.dsc | tail -n 1)
version=$(awk '$1 == "Version:" { print $2; exit }' "$dsc")
# shellcheck disable=SC2254
case $version in
    $want) ;;
    *) echo "$me: warning: $pkg $version; Veneer's port was written for $want" >&2 ;;
esac
rm -rf "$src" "$src.part"
if ! msg=$(dpkg-source -x "$dsc" "$src.part" 2>&1); then
    echo "$msg" >&2
    echo "$me: dpkg-source failed; removing $dl so the next build fetches again" >&2
    rm -rf "$dl" "$src.part"
    exit 1
fi
echo "$pkg $version" > "$src.part/.veneer-$pkg"
mv "$src.part" "$src"
echo "$me: $pkg $version unpacked into $src"
