# `make bench`: Veneer against a Linux peer under the same QEMU (issue 7);
# `make bench-smoke`: the Veneer side only, quick, with a check that every
# row is there.  Included at the end of the main Makefile; uses its QEMU,
# QEMU_BASE, BUILD and WARN.  Everything lands in $(BUILD)/bench:
#   linux/vmlinuz          Debian's cloud kernel (bench/get-linux.sh)
#   linux/init             bench/linux/init.c, static with musl
#   linux/modules/         the NIC's modules from the kernel's package
#   linux/initramfs.cpio   /init, /pbench, /dev/console, and for the network
#                          rows the modules, busybox, /udpecho and
#                          /www/index.html (bench/mkcpio.sh)
#   raw/*.log              timestamped serial logs, one per boot
#   results.csv, results.json, table.txt, bench.png
# The POSIX rows' program, bench/posix/pbench.c, is one static musl binary,
# $(BUILD)/bin/pbench: it goes into the boot archive (PROGS, for Veneer's
# POSIX libOS) and, the same file, into the Linux peer's initramfs.
# RUNS=n sets the boots per guest and mode (default 3).  Both guests get
# one CPU (BENCH_SMP): the Linux peer runs uniprocessor, and the ctxsw and
# yield rows need their two environments to share a CPU; the scaling rows'
# boots raise it to 2 (bench/run.sh).  Both get QEMU's
# edu device too (BENCH_EDU_<machine>), which only Veneer's rows use.

BENCH_OUT   := $(BUILD)/bench
BENCH_LINUX := $(BENCH_OUT)/linux
BENCH_LINUX_CFLAGS := -std=gnu11 -O2 -g $(WARN) -static -fno-pie -no-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none
BENCH_SMP   ?= 1
# 512 MiB, both guests: the sleep10k rows hold 10,000 vCPUs, 8 pages reserved each.
BENCH_MEM   ?= 512M
# QEMU's edu, for Veneer's irq and dma rows, in both guests' machine at a
# fixed slot: 2 on q35 (its VGA is at 1), 3 on the PC (VGA is at 2).
BENCH_EDU_q35 := -device edu,addr=2
BENCH_EDU_pc  := -device edu,addr=3
# A NIC on restricted user networking (nothing leaves the guest's virtual
# network; its gateway answers ARP and ping), for Veneer's demux rows.
BENCH_NIC_q35 := -netdev user,id=bn,restrict=on -device virtio-net-pci,netdev=bn,disable-legacy=on,iommu_platform=on,addr=6
BENCH_NIC_pc  := -netdev user,id=bn,restrict=on -device virtio-net-pci,netdev=bn,disable-legacy=on,addr=6
# An NVMe disk (a scratch image, both guests) for the blk rows.
BENCH_DISK    := $(BUILD)/bench/disk.img
BENCH_NVME    := -drive file=$(BENCH_DISK),if=none,id=bd,format=raw -device nvme,serial=vnbench,drive=bd,addr=7
BENCH_ENV = QEMU="$(QEMU)" \
	QEMU_BASE="$(subst -m $(QEMU_MEM),-m $(BENCH_MEM),$(subst -smp $(QEMU_SMP),-smp $(BENCH_SMP),$(QEMU_BASE))) $(BENCH_EDU_$(MACHINE)) $(BENCH_NIC_$(MACHINE)) $(BENCH_NVME)" \
	BUILD=$(BUILD)

$(BENCH_DISK):
	@mkdir -p $(@D) && truncate -s 16M $@

.PHONY: bench bench-smoke bench-setup
bench: setup bench-setup $(BUILD)/kernel.elf $(BUILD)/initrd.var $(BENCH_DISK) \
		$(BENCH_LINUX)/vmlinuz $(BENCH_LINUX)/initramfs.cpio
	@$(BENCH_ENV) bench/run.sh

bench-smoke: setup $(BUILD)/kernel.elf $(BUILD)/initrd.var $(BENCH_DISK)
	@tools/setup-host.sh bench-smoke
	@$(BENCH_ENV) bench/run.sh --smoke

bench-setup:
	@tools/setup-host.sh bench

# Into the boot archive with the other Linux programs (initrd.var's rule,
# read before this file, takes its list of files from PROGS when it runs).
# The network rows' UDP echo (bench/net/udpecho.c), the POSIX libOS's
# script that starts it and busybox httpd, and the page they serve go in
# too: the libOS shows only the archive's top-level files (in /bin), so
# the page is also there as /bin/www-index.html, a copy of www/index.html.
BENCH_PAGE := $(BENCH_OUT)/net/www-index.html
PROGS += $(BUILD)/bin/pbench $(BUILD)/bin/udpecho bench/net/posix_net.sh $(BENCH_PAGE)
$(BUILD)/initrd.var: $(BUILD)/bin/pbench $(BUILD)/bin/udpecho bench/net/posix_net.sh $(BENCH_PAGE)
$(BENCH_PAGE): www/index.html
	@mkdir -p $(@D)
	cp $< $@
$(BUILD)/bin/pbench: bench/posix/pbench.c bench/bench_common.h bench/linux_syscall.h
	@mkdir -p $(@D)
	musl-gcc -static -O2 $(WARN) -o $@ $<
$(BUILD)/bin/udpecho: bench/net/udpecho.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 $(WARN) -o $@ $<

# get-linux.sh fetches again when either is missing (a tree fetched before
# the network rows has no modules).
$(BENCH_LINUX)/vmlinuz $(BENCH_LINUX)/modules/order: | bench-setup
	@bench/get-linux.sh $(BENCH_LINUX)

$(BENCH_LINUX)/init: bench/linux/init.c bench/linux/net.c bench/linux/net.h bench/bench_common.h \
		bench/bench_mem.h bench/linux_syscall.h | bench-setup
	@mkdir -p $(@D)
	musl-gcc $(BENCH_LINUX_CFLAGS) -o $@ bench/linux/init.c bench/linux/net.c

# The modules come with vmlinuz (get-linux.sh), in the order they load.
$(BENCH_LINUX)/initramfs.cpio: $(BENCH_LINUX)/init $(BUILD)/bin/pbench $(BUILD)/bin/udpecho \
		$(BUILD)/bin/busybox www/index.html $(BENCH_LINUX)/modules/order bench/mkcpio.sh
	{ printf '%s\n' 'dir dev 755' 'nod dev/console 600 c 5 1' 'dir sys 755' 'dir proc 755' \
		'file init 755 $<' 'file pbench 755 $(BUILD)/bin/pbench' 'file udpecho 755 $(BUILD)/bin/udpecho' \
		'dir bin 755' 'file bin/busybox 755 $(BUILD)/bin/busybox' \
		'dir www 755' 'file www/index.html 644 www/index.html' 'dir lib 755' 'dir lib/modules 755' \
		'file lib/modules/order 644 $(BENCH_LINUX)/modules/order'; \
	  sed 's|.*|file lib/modules/&.ko 644 $(BENCH_LINUX)/modules/&.ko|' $(BENCH_LINUX)/modules/order; } | \
		bench/mkcpio.sh > $@.part
	@mv $@.part $@
