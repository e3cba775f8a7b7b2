# Wall-clock time: the kernel reads the CMOS RTC once at boot and exposes
# it (vn_sysinfo.rtc_boot_sec); the libOS adds the TSC clock, so busybox
# date shows the host's year (QEMU's RTC follows the host clock).
cmdline="quiet init=posix run=busybox,date,-u"
expect=("UTC $(date -u +%Y)" "env [0-9a-f]+ \(posix\) exited with status 0")
