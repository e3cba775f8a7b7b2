# The disk suite of `make bench` and `make bench-smoke` (bench/disk/):
# ext4 on the bench's NVMe disk, Veneer's POSIX libOS (its root on the
# disk, through fsd) against the Linux peer's ext4, the same static musl
# program on both, bench/disk/dbench.c ($(BUILD)/bin/dbench, into the boot
# archive like pbench), with SQLite's speedtest1 (mk/sqlite.mk).  The
# Linux side boots its own initramfs, $(BENCH_OUT)/disk/initramfs.cpio:
# /init (bench/disk/linux_init.c) mounts the disk and runs /dbench with
# /speedtest1.  bench/run.sh gives each boot of the suite a fresh image
# (tools/mkdisk.sh) in place of the scratch disk.  Included after
# mk/bench.mk and mk/sqlite.mk.

BENCH_DISK_CPIO := $(BENCH_OUT)/disk/initramfs.cpio
PROGS += $(BUILD)/bin/dbench
$(BUILD)/initrd.var: $(BUILD)/bin/dbench
$(BUILD)/bin/dbench: bench/disk/dbench.c bench/bench_common.h
	@mkdir -p $(@D)
	musl-gcc -static -O2 $(WARN) -o $@ $<
$(BENCH_OUT)/disk/init: bench/disk/linux_init.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 $(WARN) -o $@ $<
$(BENCH_DISK_CPIO): $(BENCH_OUT)/disk/init $(BUILD)/bin/dbench $(BUILD)/bin/speedtest1 bench/mkcpio.sh
	printf '%s\n' 'dir dev 755' 'nod dev/console 600 c 5 1' 'dir proc 755' 'dir mnt 755' \
		'file init 755 $(BENCH_OUT)/disk/init' 'file dbench 755 $(BUILD)/bin/dbench' \
		'file speedtest1 755 $(BUILD)/bin/speedtest1' | bench/mkcpio.sh > $@.part
	@mv $@.part $@
bench: $(BENCH_DISK_CPIO)
