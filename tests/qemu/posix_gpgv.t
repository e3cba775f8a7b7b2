# Debian's gpgv-static (glibc, unmodified: tools/get-deb-file.sh)
# verifies a detached signature made here by the host's gpg, with a
# throwaway GNUPGHOME under $BUILD: a fresh RSA signing key, a detached
# signature of a file, the public key exported as a keyring, a second
# key's keyring, and the file with one line changed.  They go into the
# root's ext4 image (debugfs write).  Inside Veneer: the good signature
# verifies (exit 0, "Good signature", the host's fingerprint), the
# tampered file fails (exit 1, "BAD signature"), and the other keyring
# cannot check it (exit 2, "No public key").
g=$BUILD/gpgv_test
rm -rf "$g"
mkdir -p "$g/home" && chmod 700 "$g/home"
gpg_host() { GNUPGHOME=$g/home gpg --batch --quiet --no-tty --passphrase '' "$@" 2>/dev/null; }
gpg_host --quick-gen-key 'Veneer Signer <signer@veneer.invalid>' rsa2048 sign never
gpg_host --quick-gen-key 'Veneer Other <other@veneer.invalid>' ed25519 sign never
seq 1 5000 | sed 's/$/ a line of the signed file/' > "$g/data"
sed 's/^2500 a line/2500 A line/' "$g/data" > "$g/tampered"
gpg_host -u signer@veneer.invalid --detach-sign -o "$g/data.sig" "$g/data"
gpg_host --export signer@veneer.invalid > "$g/keyring.gpg"
gpg_host --export other@veneer.invalid > "$g/other.gpg"
fpr=$(GNUPGHOME=$g/home gpg --batch --with-colons --fingerprint signer@veneer.invalid | awk -F: '$1 == "fpr" { print $10; exit }')
GNUPGHOME=$g/home gpgconf --kill gpg-agent
img=$g/disk.img
tools/mkdisk.sh "$img" 64
printf 'mkdir /root/g\n' > "$g/cmds"
for f in data data.sig tampered keyring.gpg other.gpg; do printf 'write %s /root/g/%s\n' "$g/$f" "$f" >> "$g/cmds"; done
debugfs -w -f "$g/cmds" "$img" > /dev/null 2>&1
disk="-drive file=$img,if=none,id=d0,format=raw -device nvme,serial=vngpgv,drive=d0"
k="gpgv+--keyring+/root/g"
cmdline="quiet init=posix run=busybox,sh,-c,cd+/root/g;$k/keyring.gpg+data.sig+data;echo+good_rc=\$?;$k/keyring.gpg+data.sig+tampered;echo+bad_rc=\$?;$k/other.gpg+data.sig+data;echo+nokey_rc=\$?"
qemu_extra="-m 1G $disk"
timeout=240
expect=("fsd: ext4 on the disk" "using RSA key ${fpr:-no-fingerprint-from-the-host}"
        "Good signature from \"Veneer Signer <signer@veneer.invalid>\"" "^good_rc=0"
        "BAD signature from \"Veneer Signer <signer@veneer.invalid>\"" "^bad_rc=1"
        "Can't check signature: No public key" "^nokey_rc=2"
        "fsd: unmounted cleanly" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented")
