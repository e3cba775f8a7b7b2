# disk_fsddead.sh (tests/qemu/disk_fsddead.t): fsd is killed under a
# running shell; the disk's calls then fail with EIO instead of hanging,
# and the memory tree's mounts keep working.
echo alive > /root/x && cat /root/x
echo "fsd listed: $(ps | awk '$NF == "fsd"' | wc -l)"
kill -9 "$(pidof fsd)"
sleep 1
cat /root/x 2>&1 || echo "cat failed"
ls /root > /dev/null 2>&1 || echo "ls failed"
echo "fsd listed: $(ps | awk '$NF == "fsd"' | wc -l)"
ls /bin/busybox
echo "==done=="
