# disk_write.sh: the first boot of tests/qemu/disk_persist.t.  Busybox sh
# writes files, directories, symlinks, hard links, renames, a sparse file
# and permission bits under /root/p on the disk root, then syncs; the
# second boot (disk_check.sh) must find them all.
D=/root/p
mkdir -p $D/dir/sub && cd $D || { echo "cannot make $D"; exit 1; }
echo "hello disk" > hello
printf 'line %s\n' 1 2 3 4 5 > lines
seq 1 2000 > numbers
ln -s hello slink
ln -s /root/p/dir/sub abslink
ln numbers hardlink
echo old > victim
echo new > newer
mv newer victim
mv lines dir/sub/moved
mkdir gone && rmdir gone
echo doomed > doomed && rm doomed
dd if=/dev/zero of=sparse bs=1 count=1 seek=1048575 2>/dev/null
chmod 0640 hello
chmod 0711 dir
touch -d '2020-01-02 03:04:05' numbers
sync
echo "==written=="
ls -l $D | wc -l
