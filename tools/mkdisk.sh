#!/bin/sh
# tools/mkdisk.sh IMAGE [MB [TOTAL_MB]]: a fresh ext4 image for the POSIX libOS's
# root on disk (docs/storage.md): metadata_csum and 64bit, a 4 MiB
# journal, 4 KiB blocks, populated with mke2fs -d from a staging tree:
# /etc (passwd, group, hostname, profile, mtab), /root, /home, /tmp, and
# the empty directories the memory tree is mounted on (/bin: the boot
# archive's programs, /dev, /proc).  The programs stay in the archive,
# not in the image: exec maps them from it, and an image kept across
# rebuilds (make run's build/disk.img) never holds stale binaries.
# With TOTAL_MB the image (the namespace) is larger than the file system,
# whose MB come first: the blocks after it are zero, for other owners
# (the boot config weblog= gives some to the web server's log).
set -eu
img=$1
mb=${2:-64}
total=${3:-}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/etc" "$stage/root" "$stage/home" "$stage/tmp" "$stage/bin" "$stage/dev" "$stage/proc"
chmod 0700 "$stage/root"
chmod 1777 "$stage/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
printf 'veneer\n' > "$stage/etc/hostname"
printf 'export PATH=/bin HOME=/root\ncd /root\n' > "$stage/etc/profile"
printf '/dev/nvme0n1 / ext4 rw 0 0\nveneerfs /bin tmpfs ro 0 0\n' > "$stage/etc/mtab"
printf 'This file lives on the disk (ext4 through fsd); files you write here survive a reboot.\n' \
    > "$stage/root/README"
rm -f "$img"
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit -J size=4 -E lazy_itable_init=0,root_owner=0:0 \
    -d "$stage" "$img" "${mb}M" > /dev/null
if [ -n "$total" ]; then truncate -s "${total}M" "$img"; fi
